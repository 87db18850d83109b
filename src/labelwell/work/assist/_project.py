"""The project's classification task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.store.tables import Project
from labelwell.work.project_settings import DEFAULT_MODEL
from labelwell.work.projects import ontology_of

__all__ = ["DEFAULT_MODEL", "ChoiceTask", "choice_task"]


@dataclass(frozen=True)
class ChoiceTask:
    """The single ``choice`` control: its name, the data field it reads, its options."""

    control: str
    source: str
    options: tuple[str, ...]

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get(self.source, ""))


def choice_task(project: Project) -> ChoiceTask:
    controls = [c for c in ontology_of(project).controls if c.type == "choice"]
    if len(controls) != 1:
        raise InvalidInput(
            f"machine help needs exactly one choice control; project {project.name!r} "
            f"has {len(controls)}",
            field="ontology",
        )
    c = controls[0]
    return ChoiceTask(c.name, str(getattr(c, "source", None) or "text"), tuple(c.label_names()))
