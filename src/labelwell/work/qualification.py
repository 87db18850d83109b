"""Qualification before real work.

With ``settings["qualification"] = {"items": k, "pass_mark": 0.85}`` an
annotator new to the project is first served gold items only. After ``k`` gold
answers (each scored at submit, ``details["gold_correct"]``) they pass when
their accuracy reaches the pass mark and from then on get ordinary work (with
gold still mixed in at ``gold_ratio``); otherwise they are not served and a
manager decides (retraining, then a reset by removing and re-adding them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Annotation, Project

DEFAULT_PASS_MARK = 0.85


@dataclass(frozen=True, slots=True)
class Qualification:
    required: int
    pass_mark: float
    answered: int
    correct: int

    @property
    def status(self) -> str:
        """``qualifying`` (answering gold), ``passed`` or ``failed``."""
        if self.answered < self.required:
            return "qualifying"
        return "passed" if self.correct >= self.pass_mark * self.answered else "failed"


def rule(project: Project) -> tuple[int, float] | None:
    """The project's qualification rule ``(items, pass_mark)``, or None."""
    return parse_rule((project.settings or {}).get("qualification"))


def parse_rule(spec: object) -> tuple[int, float] | None:
    """Check a ``qualification`` setting; None when there is none."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise InvalidInput(
            "settings.qualification: must be an object with items and pass_mark",
            field="settings.qualification",
        )
    items, mark = spec.get("items"), spec.get("pass_mark", DEFAULT_PASS_MARK)
    if not isinstance(items, int) or items < 1:
        raise InvalidInput(
            "settings.qualification.items: must be a positive integer",
            field="settings.qualification.items",
        )
    if not isinstance(mark, int | float) or not 0 < mark <= 1:
        raise InvalidInput(
            "settings.qualification.pass_mark: must be in (0, 1]",
            field="settings.qualification.pass_mark",
        )
    return items, float(mark)


def qualification(session: Session, project: Project, user_id: int) -> Qualification | None:
    """Where ``user_id`` stands on the project's qualification (None: no rule)."""
    found = rule(project)
    if found is None:
        return None
    items, mark = found
    answers = session.execute(
        select(Annotation.details)
        .where(
            Annotation.project_id == project.id,
            Annotation.user_id == user_id,
            Annotation.is_gold_check.is_(True),
            Annotation.revision == 1,
        )
        .order_by(Annotation.id)
        .limit(items)
    ).scalars()
    scored = [bool((d or {}).get("gold_correct")) for d in answers]
    return Qualification(items, mark, len(scored), sum(scored))
