"""Preference work inside projects, by concept:

* :mod:`.prompts` — prompt files in, prompt items, the diversity report;
* :mod:`.generation` — generated responses stored as comparison items;
* :mod:`.leaderboard` — Bradley-Terry ratings of the models in a project;
* :mod:`.training_sets` — TRL training files (JSONL, Parquet, ``datasets``)
  with the exporter options;
* :mod:`.bias` — preference and rating distributions by annotator group;
* :mod:`.reward` — a reward model trained on a project's consensus, and its
  scores written back as predictions.
"""

from __future__ import annotations

from labelwell.work.rlhf.bias import BiasAudit, ControlAudit, project_bias_audit
from labelwell.work.rlhf.generation import (
    GenerationPlan,
    comparison_rows,
    plan_generation,
    store_comparisons,
)
from labelwell.work.rlhf.leaderboard import (
    Leaderboard,
    LeaderboardRow,
    project_battles,
    project_leaderboard,
    response_model,
)
from labelwell.work.rlhf.prompts import (
    import_prompts,
    project_prompts,
    prompt_data,
    prompts_report,
    read_prompt_file,
)
from labelwell.work.rlhf.reward import (
    RewardReport,
    ScoringPlan,
    plan_scoring,
    project_pairs,
    score_plan,
    store_reward_predictions,
    train_reward_model,
)
from labelwell.work.rlhf.training_sets import (
    TrainingSetJob,
    prepare_training_set,
    write_training_folder,
    write_training_set,
)

__all__ = [
    "BiasAudit",
    "ControlAudit",
    "GenerationPlan",
    "Leaderboard",
    "LeaderboardRow",
    "RewardReport",
    "ScoringPlan",
    "TrainingSetJob",
    "comparison_rows",
    "import_prompts",
    "plan_generation",
    "plan_scoring",
    "prepare_training_set",
    "project_battles",
    "project_bias_audit",
    "project_leaderboard",
    "project_pairs",
    "project_prompts",
    "prompt_data",
    "prompts_report",
    "read_prompt_file",
    "response_model",
    "score_plan",
    "store_comparisons",
    "store_reward_predictions",
    "train_reward_model",
    "write_training_folder",
    "write_training_set",
]
