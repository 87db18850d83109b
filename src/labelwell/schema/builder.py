"""A fluent Python builder for ontologies, in the spirit of Labelbox's
``OntologyBuilder``: each method adds one control, ``build()`` checks the whole
ontology exactly as ``Ontology.from_dict`` does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelwell.schema.labels import Label, label_from
from labelwell.schema.ontology import Ontology

LabelLike = Label | str


class OntologyBuilder:
    """``OntologyBuilder("reviews").choice("sentiment", options=[...]).build()``."""

    def __init__(self, name: str, description: str | None = None) -> None:
        self.name = name
        self.description = description
        self._controls: list[dict[str, Any]] = []

    def add(self, control: dict[str, Any]) -> OntologyBuilder:
        """Add a control written as in an ontology file (any registered type)."""
        self._controls.append(dict(control))
        return self

    def _control(
        self, type_: str, name: str, labels: Sequence[LabelLike] | None = None, **fields: Any
    ) -> OntologyBuilder:
        entry: dict[str, Any] = {"name": name, "type": type_}
        entry.update({k: v for k, v in fields.items() if v is not None})
        if labels is not None:
            entry["labels"] = [label_from(label).to_dict() for label in labels]
        return self.add(entry)

    # -- whole-item answers -----------------------------------------------------------

    def choice(
        self,
        name: str,
        options: Sequence[str],
        *,
        source: str | None = None,
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "choice",
            name,
            options=list(options),
            source=source,
            required=required,
            description=description,
        )

    def multi_choice(
        self,
        name: str,
        options: Sequence[str],
        *,
        source: str | None = None,
        required: bool = False,
        min_selections: int | None = None,
        max_selections: int | None = None,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "multi_choice",
            name,
            options=list(options),
            source=source,
            required=required,
            min_selections=min_selections,
            max_selections=max_selections,
            description=description,
        )

    def text(
        self,
        name: str,
        *,
        source: str | None = None,
        required: bool = False,
        max_length: int | None = None,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "text",
            name,
            source=source,
            required=required,
            max_length=max_length,
            description=description,
        )

    def rating(
        self,
        name: str,
        *,
        scale: tuple[int, int] = (1, 5),
        aspects: Sequence[str] | None = None,
        source: str | None = None,
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "rating",
            name,
            scale=list(scale),
            aspects=list(aspects) if aspects else None,
            source=source,
            required=required,
            description=description,
        )

    # -- regions ----------------------------------------------------------------------

    def spans(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "text",
        required: bool = False,
        allow_overlap: bool = True,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "spans",
            name,
            labels,
            source=source,
            required=required,
            allow_overlap=allow_overlap,
            description=description,
        )

    def relations(
        self,
        name: str,
        spans: str,
        labels: Sequence[LabelLike],
        *,
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "relations", name, labels, spans=spans, required=required, description=description
        )

    def _regions(
        self,
        type_: str,
        name: str,
        labels: Sequence[LabelLike],
        source: str,
        required: bool,
        description: str | None,
    ) -> OntologyBuilder:
        return self._control(
            type_, name, labels, source=source, required=required, description=description
        )

    def bbox(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "image",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("bbox", name, labels, source, required, description)

    def polygon(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "image",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("polygon", name, labels, source, required, description)

    def keypoints(
        self,
        name: str,
        labels: Sequence[Label],
        *,
        source: str = "image",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        """Each label needs a ``skeleton=Skeleton(keypoints, edges)``."""
        return self._regions("keypoints", name, labels, source, required, description)

    def mask(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "image",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("mask", name, labels, source, required, description)

    def panoptic(
        self,
        name: str,
        labels: Sequence[Label],
        *,
        source: str = "image",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        """Labels declare ``is_thing=True`` (countable objects) or not (stuff)."""
        return self._regions("panoptic", name, labels, source, required, description)

    def time_region(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "audio",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("time_region", name, labels, source, required, description)

    def video_track(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "video",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("video_track", name, labels, source, required, description)

    def cuboid(
        self,
        name: str,
        labels: Sequence[LabelLike],
        *,
        source: str = "pointcloud",
        required: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._regions("cuboid", name, labels, source, required, description)

    # -- preference data --------------------------------------------------------------

    def pairwise(
        self,
        name: str,
        *,
        source: str = "responses",
        required: bool = False,
        require_reason: bool = False,
        allow_tie: bool = True,
        allow_both_bad: bool = True,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "pairwise",
            name,
            source=source,
            required=required,
            require_reason=require_reason,
            allow_tie=allow_tie,
            allow_both_bad=allow_both_bad,
            description=description,
        )

    def ranking(
        self,
        name: str,
        *,
        source: str = "responses",
        required: bool = False,
        allow_ties: bool = False,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "ranking",
            name,
            source=source,
            required=required,
            allow_ties=allow_ties,
            description=description,
        )

    def correction(
        self,
        name: str,
        *,
        source: str = "responses",
        required: bool = False,
        max_length: int | None = None,
        description: str | None = None,
    ) -> OntologyBuilder:
        return self._control(
            "correction",
            name,
            source=source,
            required=required,
            max_length=max_length,
            description=description,
        )

    def build(self) -> Ontology:
        """The ontology; raises ``InvalidInput`` naming the bad control as ``controls[i]...``."""
        spec: dict[str, Any] = {"name": self.name, "controls": self._controls}
        if self.description is not None:
            spec["description"] = self.description
        return Ontology.from_dict(spec)
