"""Machine help inside projects: pre-labeling, confidence routing, active-learning
priorities and the flywheel that retrains after new human labels.

The maths lives in :mod:`labelwell.assist` (predictors, temperature scaling,
routing, selection strategies); this module reads a project's items and labels,
runs those functions and writes the outcome back: model predictions (shown as
suggestions), auto-approved annotations (``source="model"``) and ``Item.priority``.

Projects using it have one ``choice`` control; its ``source`` names the text field.
Project settings read here (:class:`labelwell.work.project_settings.ProjectSettings`
has their defaults): ``flywheel``, ``retrain_every``, ``assist_model``,
``assist_model_options``, ``al_strategy``, ``al_batch`` and
``suggestion_min_score`` (set by :func:`route`: model suggestions below it are
not shown, so those items are labeled from scratch). What it records as it runs
has tables of its own: the flywheel's lease and label count
(``flywheel_state``), each training's calibration (``calibrations``) and the
spot-checked items (``spot_checks``), see :mod:`labelwell.work.assist.runtime`.
"""

from __future__ import annotations

from labelwell.work.assist._project import (  # noqa: F401
    DEFAULT_MODEL,
    ChoiceTask,
    choice_task,
)
from labelwell.work.assist.flywheel import (  # noqa: F401
    LEASE_SECONDS,
    RetrainOutcome,
    after_submit,
    claim,
    human_label_count,
    maybe_retrain,
    release,
)
from labelwell.work.assist.predictors import (  # noqa: F401
    CalibratedPredictor,
    make_predictor,
)
from labelwell.work.assist.prelabel import (  # noqa: F401
    PrelabelReport,
    prelabel,
    store_predictions,
    unlabeled_pool,
)
from labelwell.work.assist.priorities import (  # noqa: F401
    PriorityReport,
    reprioritise,
    set_priorities,
)
from labelwell.work.assist.routing import (  # noqa: F401
    RoutingReport,
    choose_threshold,
    route,
    spot_check_outcomes,
    tightened,
)
from labelwell.work.assist.runtime import (  # noqa: F401
    add_spot_checks,
    latest_calibration,
    record_training,
)
from labelwell.work.assist.training import (  # noqa: F401
    TrainReport,
    fit_calibrated,
    train_from_project,
    training_set,
)
