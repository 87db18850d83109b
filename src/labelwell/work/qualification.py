"""Qualification before real work.

With the setting ``qualification = {"items": k, "pass_mark": 0.85}`` an
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

from labelwell.store.tables import Annotation, Project
from labelwell.work.project_settings import HasSettings, settings_of


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


def rule(project: HasSettings) -> tuple[int, float] | None:
    """The project's qualification rule ``(items, pass_mark)``, or None."""
    found = settings_of(project).qualification
    return None if found is None else (found.items, found.pass_mark)


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
