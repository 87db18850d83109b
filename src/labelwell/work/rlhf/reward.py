"""A reward model trained on a project's consensus, and its scores written back
to the project as predictions.

* Training reads the project's decided pairs (:func:`project_pairs`: pairwise
  majorities and rankings merged by ranked pairs, then paired by a strategy;
  ties and both-bad give no pair), embeds prompts and responses with
  ``all-MiniLM-L6-v2`` offline, fits the Bradley-Terry head of
  :class:`~labelwell.rlhf.reward_model.RewardModel` with whole items held out,
  and saves it with its figures (:func:`train_reward_model`; no session open).
* Scoring (:func:`plan_scoring`, :func:`score_plan`, :func:`store_reward_predictions`)
  gives each comparison item a prediction from the model: on a pairwise
  control the response with the higher reward, scored ``sigmoid(r_win -
  r_lose)`` (the model's Bradley-Terry probability of that choice); on a ranking
  control the responses by reward, scored ``sigmoid(r_first - r_second)``.
  Predictions carry the model's name and version (a hash of its weights), so
  they feed pre-labeling and active learning like any model's, and a rerun
  skips items the same version already scored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.rlhf.decisions import (
    PREFERENCE_TYPES,
    controls_of,
    decision_pair,
    iter_decisions,
    prompt_item,
    require_controls,
)
from labelwell.rlhf.records import PreferencePair, PromptItem, prompt_text
from labelwell.store.tables import Prediction, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

_RAW = ExportFilter(labels="raw")


def _preference_project(session: Session, actor: Actor, project_id: int) -> tuple[Any, Any]:
    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    require_controls(ontology, PREFERENCE_TYPES, "a reward model")
    return project, ontology


def project_pairs(
    session: Session, actor: Actor, project_id: int, *, strategy: str = "all_pairs", seed: int = 0
) -> list[PreferencePair]:
    """The project's decided preference pairs (consensus per pair), in item order."""
    _, ontology = _preference_project(session, actor, project_id)
    records = iter_records(session, project_id, _RAW)
    pairs = (
        decision_pair(d) for d in iter_decisions(records, ontology, strategy=strategy, seed=seed)
    )
    return [p for p in pairs if p is not None]


@dataclass(frozen=True, slots=True)
class RewardReport:
    path: str
    model_name: str
    model_version: str
    n_items: int
    n_pairs: int
    n_train: int
    n_test: int
    train_accuracy: float
    test_accuracy: float | None


def train_reward_model(
    pairs: list[PreferencePair],
    folder: str | Path,
    *,
    name: str,
    test_size: float = 0.2,
    seed: int = 0,
    epochs: int = 10,
    encoder: Any = None,
) -> RewardReport:
    """Fit a reward model on ``pairs`` (whole items held out), save it to ``folder``
    and report its held-out pairwise accuracy."""
    from labelwell.rlhf.reward_model import (
        RewardModel,
        TextRewardModel,
        fit_text_pairs,
        model_version,
    )

    if not pairs:
        raise InvalidInput("no decided preference pairs in this project yet (ties give none)")
    model = TextRewardModel(RewardModel(epochs=epochs, random_state=seed), encoder)
    items = [str(p.item_id) for p in pairs]
    fit = fit_text_pairs(
        model,
        [prompt_text(p.prompt) for p in pairs],
        [p.chosen for p in pairs],
        [p.rejected for p in pairs],
        items,
        test_size=test_size,
        random_state=seed,
    )
    info = {
        "name": name,
        "n_pairs": fit.n_pairs,
        "n_train": fit.n_train,
        "n_test": fit.n_test,
        "train_accuracy": fit.train_accuracy,
        "test_accuracy": fit.test_accuracy,
    }
    model.model.save(folder, info=info)
    return RewardReport(
        str(folder),
        name,
        model_version(folder),
        len(set(items)),
        fit.n_pairs,
        fit.n_train,
        fit.n_test,
        fit.train_accuracy,
        fit.test_accuracy,
    )


@dataclass(slots=True)
class ScoringPlan:
    """Items of ``project_id`` to score: each with the control its prediction goes to."""

    project_id: int
    model_name: str
    model_version: str
    items: list[tuple[int, str, PromptItem]] = field(default_factory=list)
    n_done: int = 0


def plan_scoring(
    session: Session, actor: Actor, project_id: int, model_name: str, model_version: str
) -> ScoringPlan:
    """The comparison items this model version has not scored yet: a two-response
    item goes to the first pairwise control, any other to the first ranking one."""
    _, ontology = _preference_project(session, actor, project_id)
    pairwise, ranking = controls_of(ontology, "pairwise"), controls_of(ontology, "ranking")
    done = set(
        session.scalars(
            select(Prediction.item_id).where(
                Prediction.project_id == project_id,
                Prediction.model_name == model_name,
                Prediction.model_version == model_version,
            )
        )
    )
    plan = ScoringPlan(project_id, model_name, model_version)
    for record in iter_records(session, project_id, _RAW):
        if record.item_id in done:
            plan.n_done += 1
            continue
        if len(record.data.get("responses") or []) < 2:
            continue
        item = prompt_item(record)
        control = pairwise[0] if pairwise and len(item.responses) == 2 else None
        control = control or (ranking[0] if ranking else None)
        if control is not None:
            plan.items.append((record.item_id, control, item))
    return plan


def score_plan(plan: ScoringPlan, model_dir: str | Path, encoder: Any = None) -> list[list[float]]:
    """Each planned item's rewards, one per response in item order (no session)."""
    from labelwell.rlhf.reward_model import RewardModel, TextRewardModel

    scorer = TextRewardModel(RewardModel.load(model_dir), encoder)
    prompts, responses, sizes = [], [], []
    for _, _, item in plan.items:
        text = prompt_text(item.prompt)
        prompts += [text] * len(item.responses)
        responses += [r.text for r in item.responses]
        sizes.append(len(item.responses))
    if not prompts:
        return []
    flat = scorer.score(prompts, responses).tolist()
    out, start = [], 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def reward_prediction(
    control: str, kind: str, item: PromptItem, rewards: list[float], label: str
) -> tuple[dict[str, Any], float]:
    """The prediction result and score for one item (see the module docstring)."""
    ids = [r.id for r in item.responses]
    if kind == "pairwise":
        (ra, rb) = rewards
        choice = "a" if ra >= rb else "b"
        reason = f"{label}: reward {ra:.3f} for a, {rb:.3f} for b"
        return {control: {"choice": choice, "reason": reason}}, _sigmoid(abs(ra - rb))
    order = sorted(range(len(ids)), key=lambda i: (-rewards[i], ids[i]))
    top_gap = rewards[order[0]] - rewards[order[1]]
    return {control: [[ids[i]] for i in order]}, _sigmoid(top_gap)


def store_reward_predictions(
    session: Session, actor: Actor, plan: ScoringPlan, rewards: list[list[float]]
) -> int:
    """Write one prediction per planned item (managers)."""
    project, ontology = _preference_project(session, actor, plan.project_id)
    kinds = {c.name: c.type for c in ontology.controls}
    if len(rewards) != len(plan.items):
        raise InvalidInput("one list of rewards per planned item is needed", field="rewards")
    label = f"{plan.model_name}@{plan.model_version}"
    now = utcnow()
    rows = []
    for (item_id, control, item), values in zip(plan.items, rewards, strict=True):
        result, score = reward_prediction(control, kinds[control], item, values, label)
        rows.append(
            {
                "item_id": item_id,
                "project_id": project.id,
                "source": "model",
                "model_name": plan.model_name,
                "model_version": plan.model_version,
                "result": result,
                "score": score,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 5000):
        session.execute(insert(Prediction), rows[start : start + 5000])
    audit.record(
        session,
        actor,
        "predictions.add",
        project_id=project.id,
        details={"count": len(rows), "model": label},
    )
    return len(rows)


MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def saved_model(home: Path, name: str) -> tuple[Path, str, str]:
    """The folder, model name and version of a reward model saved under
    ``home/reward-models/<name>`` (how the server finds models by name)."""
    from labelwell.rlhf.reward_model import model_version

    if not MODEL_NAME.match(name or ""):
        raise InvalidInput(
            "model: a saved model's name (letters, digits, '.', '_' or '-')", field="model"
        )
    folder = Path(home) / "reward-models" / name
    if not (folder / "head.pt").is_file():
        # the server's paths are nobody's business: the name is enough to act on
        raise NotFound(
            f"model: no saved reward model {name!r} in the server's reward-models folder; "
            "save one there with `labelwell rlhf train-reward`"
        )
    return folder, model_label(folder, name), model_version(folder)


def plan_saved_model_scoring(
    session: Session, actor: Actor, project_id: int, home: Path, name: str
) -> tuple[ScoringPlan, Path]:
    """The scoring plan of the saved reward model ``name`` and its folder; the
    caller's permission is checked before the model is looked up (managers)."""
    _preference_project(session, actor, project_id)
    folder, label, version = saved_model(home, name)
    return plan_scoring(session, actor, project_id, label, version), folder


def model_label(folder: Path, default: str) -> str:
    """The name a saved model was trained under (its ``info``), else ``default``."""
    import json

    try:
        info = json.loads((Path(folder) / "config.json").read_text()).get("info") or {}
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise InvalidInput(
            f"model: {default!r} is not a saved reward model (its config: {reason})", field="model"
        ) from None
    return str(info.get("name") or default)
