"""The leaderboard of the models that wrote a project's responses: every
annotator's judgment is one battle between the models of the two responses
(Chiang et al. 2024, "Chatbot Arena", sec. 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.rlhf.decisions import PREFERENCE_TYPES, record_comparisons, require_controls
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None
    n_battles: int = 0
    unstable: bool = False
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Leaderboard:
    rows: list[LeaderboardRow]
    n_battles: int
    n_models: int
    warnings: list[dict[str, Any]] = field(default_factory=list)


def response_model(response: Mapping[str, Any]) -> str | None:
    """The model that wrote a response: its ``model``, else its provenance's."""
    provenance = response.get("provenance")
    model = response.get("model") or (
        provenance.get("model") if isinstance(provenance, Mapping) else None
    )
    return str(model) if model else None


def project_battles(session: Session, actor: Actor, project_id: int) -> Any:
    """Every human judgment of a preference project as a battle row (``model_a,
    model_b, winner``); rankings count as all their pairs. Responses name their
    model in ``model`` or ``provenance.model``."""
    from labelwell.rlhf.bradley_terry import battles_from_comparisons

    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    require_controls(ontology, PREFERENCE_TYPES, "a leaderboard")
    comparisons, model_of = [], {}
    for record in iter_records(session, project_id, ExportFilter(labels="raw")):
        found = record_comparisons(record, ontology)
        if not found:
            continue
        for r in record.data.get("responses", []):
            model = response_model(r)
            if model:
                model_of[(str(record.item_id), str(r["id"]))] = model
        comparisons += found
    return battles_from_comparisons(comparisons, model_of)


def project_leaderboard(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    bootstrap: int = 100,
    seed: int = 0,
    l2: float = 0.0,
) -> Leaderboard:
    """Bradley-Terry ratings (Arena recipe) of the models in a project's comparisons."""
    from labelwell.rlhf.bradley_terry import BradleyTerry

    battles = project_battles(session, actor, project_id)
    if battles.empty:
        raise InvalidInput("no judgments between responses of different models in this project yet")
    fitted = BradleyTerry(n_bootstrap=bootstrap, random_state=seed, l2=l2).fit(battles)
    rows = [
        LeaderboardRow(
            int(r["rank"]),
            str(r["model"]),
            float(r["rating"]),
            None if bootstrap == 0 else float(r["ci_low"]),
            None if bootstrap == 0 else float(r["ci_high"]),
            int(r["n_battles"]),
            bool(r["unstable"]),
            [w.as_dict() for w in fitted.warnings_ if w.subject == r["model"]],
        )
        for r in fitted.leaderboard().to_dict("records")
    ]
    return Leaderboard(
        rows, int(fitted.n_battles_), len(rows), [w.as_dict() for w in fitted.warnings_]
    )
