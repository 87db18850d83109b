"""Programmatic labeling: labeling functions, appliers, LF analysis, label model.

A library with no server: LFs vote on items (``-1`` = abstain), an applier
collects the votes into a label matrix ``L`` (items x LFs), ``LFAnalysis``
summarises how the LFs behave, and a label model (``LabelModel``, one-coin;
``ClassConditionalLabelModel``, one-sided) turns ``L`` into probabilistic
labels; ``choose_label_model`` picks between them on dev labels.
"""

from __future__ import annotations

from labelwell.weak.analysis import LFAnalysis
from labelwell.weak.apply import LabelMatrix, LFApplier
from labelwell.weak.baselines import MajorityLabelVoter, WeightedMajorityVoter
from labelwell.weak.batches import EXECUTORS, Checkpoint, map_batches, register_executor
from labelwell.weak.class_conditional import ClassConditionalLabelModel
from labelwell.weak.kinds import keyword_lf, lookup_lf, model_lf, regex_lf, threshold_lf
from labelwell.weak.label_model import LabelModel
from labelwell.weak.lf import ABSTAIN, LabelingFunction, labeling_function
from labelwell.weak.matrix import probs_to_preds, to_dense, to_sparse
from labelwell.weak.select import LabelModelChoice, choose_label_model

# Label models by name, for the CLI and API to list and build.
LABEL_MODELS = {
    "class_conditional": ClassConditionalLabelModel,
    "label_model": LabelModel,
    "majority": MajorityLabelVoter,
    "weighted_majority": WeightedMajorityVoter,
}

__all__ = [
    "ABSTAIN",
    "EXECUTORS",
    "LABEL_MODELS",
    "Checkpoint",
    "ClassConditionalLabelModel",
    "LFAnalysis",
    "LFApplier",
    "LabelMatrix",
    "LabelModel",
    "LabelModelChoice",
    "LabelingFunction",
    "MajorityLabelVoter",
    "WeightedMajorityVoter",
    "choose_label_model",
    "keyword_lf",
    "labeling_function",
    "lookup_lf",
    "map_batches",
    "model_lf",
    "probs_to_preds",
    "regex_lf",
    "register_executor",
    "threshold_lf",
    "to_dense",
    "to_sparse",
]
