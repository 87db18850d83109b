"""Labeling functions and the label model inside a live project.

LF code runs where this module is called (the CLI, the SDK user's process, or
a Dask cluster), never in the web server. Votes are stored as predictions with
provenance: ``source="labeling_function"``, ``model_name`` the LF's name,
``model_version`` its version hash, and ``result`` in the ontology's format for
the project's ``choice`` control (class ``c`` -> ``options[c]``); abstains store
nothing. Re-applying an LF replaces its earlier votes on the same items.

The label model is fitted on the stored votes, chosen by
:func:`labelwell.weak.choose_label_model` (majority vote, the one-coin
``LabelModel`` or the ``ClassConditionalLabelModel``, whichever is most accurate
on the items people labelled; the one-coin model with fewer than 50 of them),
and its output stored as predictions ``model_name="label_model"`` with
the top-class probability as ``score``. Routing by that confidence uses
:func:`labelwell.assist.routing.route` (auto-approve >= 0.85, review >= 0.5,
label below, 5% spot checks) as pre-labels are routed
(:mod:`labelwell.work.assist.routing`), on the items no person has touched
(not gold, open, no lease, no label):

* ``auto_approve``: the weak label becomes the item's label, an accepted
  annotation ``source="labeling_function"``, ``agent="label_model@<version>"``
  (details ``weak_label``, ``score``, ``threshold``), and the item is done;
* ``review`` (and the spot checks): the item stays for annotators, with the weak
  label shown as a suggestion; priority 0;
* ``label``: priority 1, so the queue offers these items first.
"""

from __future__ import annotations

from labelwell.work.weak._common import (  # noqa: F401
    LABEL_MODEL,
    ROUTE_PRIORITY,
    SOURCE,
)
from labelwell.work.weak.apply import (  # noqa: F401
    ApplyResult,
    apply_lfs,
    read_items,
    store_votes,
    vote_predictions,
)
from labelwell.work.weak.fit import (  # noqa: F401
    FitResult,
    fit_label_model,
)
from labelwell.work.weak.functions import (  # noqa: F401
    choice_control,
    load_labeling_functions,
)
from labelwell.work.weak.summary import (  # noqa: F401
    LFSummaryRow,
    WeakSummary,
    lf_summary,
)
from labelwell.work.weak.votes import (  # noqa: F401
    StoredVotes,
    reference_labels,
    stored_votes,
)
