"""Request and response schemas of ontology versions and project deletion."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from labelwell.schema.changes import Change, Rename
from labelwell.server.schemas import Public, Strict, fields_of


class RenameIn(Strict):
    control: str = Field(max_length=200, description="The control's name in the current ontology.")
    label: str | None = Field(
        default=None, max_length=200, description="A label (option, aspect) of it to rename."
    )
    to: str = Field(max_length=200, description="The new name.")

    def rename(self) -> Rename:
        return Rename(self.control, to=self.to, label=self.label)


class OntologyChange(Strict):
    ontology: dict[str, Any] = Field(description="The new ontology (its controls).")
    renames: list[RenameIn] = Field(default_factory=list, max_length=1000)
    force: bool = Field(
        default=False, description="Remove what stored annotations use (needs a reason)."
    )
    reason: str = Field(default="", max_length=2000)


class ChangePublic(fields_of(Change, required=True)):  # type: ignore[misc]
    annotations: int = Field(description="Stored annotations (every revision) it touches.")


class OntologyImpactPublic(Public):
    version: int
    changes: list[ChangePublic]
    needs_force: bool


class OntologyVersionPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    version: int
    ontology: dict[str, Any]
    changes: list[ChangePublic]
    reason: str
    created_at: datetime
    created_by: int | None


class GuidelineRendered(Public):
    version: int
    text: str
    html: str = Field(description="Sanitised HTML of the Markdown text.")


class DiffLinePublic(Public):
    op: Literal["same", "added", "removed"]
    text: str


class GuidelineDiffPublic(Public):
    from_version: int
    to_version: int
    added: int
    removed: int
    lines: list[DiffLinePublic]
