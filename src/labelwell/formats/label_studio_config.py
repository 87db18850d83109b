"""Label Studio's labeling config (the ``<View>`` XML of a project,
https://labelstud.io/tags/) to a labelwell ontology and back.

Control tags and the controls they become (``toName`` names an object tag such
as ``<Text name="text" value="$text"/>``; its ``$field`` is the control's
``source``):

==================  ===============================================================
Label Studio        labelwell
==================  ===============================================================
Choices             choice (``choice="multiple"``: multi_choice); ``alias`` wins
Taxonomy            multi_choice whose options are the paths ``"A / B"``
Labels on Text      spans (``background`` is the label's colour)
Relations           relations between the spans
RectangleLabels     bbox
PolygonLabels       polygon
KeyPointLabels      keypoints: the ``<Label>`` values are the keypoints of one
                    skeleton, labelled as the control (points on their own) and
                    as each label of the image's RectangleLabels (pose layout,
                    points whose ``parentID`` is a rectangle)
BrushLabels         mask
TextArea            text
Rating              rating on 1..``maxRating`` (5 by default)
Pairwise            pairwise over the two text fields of ``toName``; a
                    ``<name>_choice`` Choices (tie, both_bad) and a
                    ``<name>_reason`` TextArea are its tie and reason
Ranker              ranking over a ``<List>``; ``<Bucket>`` names are ranks
==================  ===============================================================

Anything else (per-region questions, Labels on audio or HTML, Number, DateTime,
ellipses, video, time series...) is listed in ``skipped`` with its reason, never
dropped silently. :func:`config_from_ontology` writes the config an export needs
to open in Label Studio as it was; what it cannot say goes in ``notes``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._ontology import Control, controls

#: Tags that show data (``name`` + ``value="$field"``).
OBJECT_TAGS = frozenset(
    {
        "Text", "HyperText", "Image", "Audio", "AudioPlus", "Video", "Paragraphs",
        "Table", "TimeSeries", "List", "PDF", "Markdown", "Chat",
    }
)  # fmt: skip
#: Tags that only lay out or decorate the page.
LAYOUT_TAGS = frozenset(
    {
        "View", "Header", "Style", "Filter", "Collapse", "Panel", "Choice", "Label",
        "Relation", "Bucket", "Shortcut", "Char",
    }
)  # fmt: skip
_IMAGE_CONTROLS = {
    "RectangleLabels": "bbox",
    "PolygonLabels": "polygon",
    "BrushLabels": "mask",
    "KeyPointLabels": "keypoints",
}
IMAGE_TYPES = ("bbox", "polygon", "keypoints", "mask", "panoptic")
TAXONOMY_SEP = " / "
_BAD_NAME = re.compile(r"[.\[\]]")


@dataclass
class ConfigConversion:
    """An ontology (as the dict ``Ontology.from_dict`` reads) read from a config."""

    ontology: dict[str, Any]
    #: What could not be converted: one line per tag, naming it and why.
    skipped: list[str] = field(default_factory=list)
    #: The two text fields a Pairwise compares (for the importer's responses).
    pairwise_fields: tuple[str, str] | None = None
    #: Ranker bucket names, best first (for the importer).
    ranker_buckets: tuple[str, ...] = ()


@dataclass
class LabelConfig:
    xml: str
    #: What the config cannot say about the ontology.
    notes: list[str] = field(default_factory=list)


def _parse(xml: str) -> ET.Element:
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidInput("label_config is empty", field="label_config")
    if re.search(r"<!(DOCTYPE|ENTITY)", xml, re.IGNORECASE):
        raise InvalidInput(
            "label_config may not declare a DOCTYPE or entities", field="label_config"
        )
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InvalidInput(
            f"label_config is not XML: {exc}", field="label_config", line=line
        ) from None
    if root.tag != "View":
        raise InvalidInput(
            f"label_config must start with <View>, not <{root.tag}>", field="label_config"
        )
    return root


def _field_of(obj: ET.Element) -> str | None:
    value = obj.get("value", "")
    return value[1:] if value.startswith("$") and len(value) > 1 else None


def _true(tag: ET.Element, attr: str) -> bool:
    return str(tag.get(attr, "")).strip().lower() == "true"


def _labels(tag: ET.Element, child: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lab in tag.iter(child):
        name = lab.get("alias") or lab.get("value")
        if not name or name in seen:
            continue
        seen.add(name)
        entry: dict[str, Any] = {"name": name}
        if lab.get("background"):
            entry["color"] = lab.get("background")
        if lab.get("hint"):
            entry["description"] = lab.get("hint")
        out.append(entry)
    return out


def _taxonomy_paths(tag: ET.Element, prefix: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for child in tag:
        if child.tag != "Choice":
            continue
        path = (*prefix, child.get("alias") or child.get("value") or "")
        out.append(TAXONOMY_SEP.join(path))
        out.extend(_taxonomy_paths(child, path))
    return out


def ontology_from_config(xml: str, name: str = "label-studio") -> ConfigConversion:
    """Read a Label Studio labeling config; raise ``InvalidInput`` when nothing
    in it becomes a control or when it is not a config at all."""
    root = _parse(xml)
    objects = {o.get("name"): o for o in root.iter() if o.tag in OBJECT_TAGS and o.get("name")}
    out = ConfigConversion(ontology={"name": name, "controls": []})
    ctrls: list[dict[str, Any]] = out.ontology["controls"]
    tags = [t for t in root.iter() if t.tag not in OBJECT_TAGS and t.tag not in LAYOUT_TAGS]
    pairwise = {t.get("name") for t in tags if t.tag == "Pairwise"}
    rect_labels = [t for t in tags if t.tag == "RectangleLabels"]

    def skip(tag: ET.Element, why: str) -> None:
        out.skipped.append(f"<{tag.tag} name={tag.get('name')!r}>: {why}")

    relations: list[ET.Element] = []
    for tag in tags:
        cname = tag.get("name") or ""
        to = tag.get("toName") or ""
        if tag.tag == "Relations":
            relations.append(tag)
            continue
        if not cname:
            skip(tag, "has no name")
            continue
        if _BAD_NAME.search(cname):
            skip(tag, "a labelwell control name may not contain '.', '[' or ']'")
            continue
        base, _, role = cname.rpartition("_")
        if base in pairwise and (role, tag.tag) in (("choice", "Choices"), ("reason", "TextArea")):
            continue  # a pairwise's tie or reason, read with it
        if _true(tag, "perRegion") or tag.get("whenTagName"):
            skip(tag, "questions asked per region have no labelwell control")
            continue
        if tag.tag == "Pairwise":
            names = [n.strip() for n in to.split(",")]
            fields = [_field_of(objects[n]) if n in objects else None for n in names]
            if len(fields) != 2 or None in fields:
                skip(tag, f"toName {to!r} must name the two text tags it compares")
                continue
            out.pairwise_fields = (str(fields[0]), str(fields[1]))
            choices = {
                lab.get("alias") or lab.get("value")
                for t in tags
                if t.get("name") == f"{cname}_choice"
                for lab in t.iter("Choice")
            }
            ctrls.append(
                {
                    "name": cname,
                    "type": "pairwise",
                    "allow_tie": "tie" in choices,
                    "allow_both_bad": "both_bad" in choices,
                }
            )
            continue
        obj = objects.get(to)
        if obj is None:
            skip(tag, f"toName {to!r} names no object tag")
            continue
        source = _field_of(obj)
        if source is None:
            skip(tag, f"its object <{obj.tag} name={to!r}> reads no $field")
            continue
        entry: dict[str, Any] = {"name": cname, "source": source}
        if _true(tag, "required"):
            entry["required"] = True
        if tag.tag in ("Choices", "Taxonomy"):
            if tag.tag == "Choices":
                options = [lab["name"] for lab in _labels(tag, "Choice")]
                kind = "multi_choice" if tag.get("choice") == "multiple" else "choice"
            else:
                options = list(dict.fromkeys(_taxonomy_paths(tag)))
                kind = "multi_choice"
                out.skipped.append(
                    f"<Taxonomy name={cname!r}>: becomes a multi_choice of paths "
                    f"('{TAXONOMY_SEP.join(['A', 'B'])}'); it exports as Choices"
                )
            if not options:
                skip(tag, "offers no choices")
                continue
            ctrls.append(entry | {"type": kind, "options": options})
        elif tag.tag == "Labels":
            if obj.tag != "Text":
                skip(tag, f"labels on <{obj.tag}> have no labelwell control (only on <Text>)")
                continue
            labels = _labels(tag, "Label")
            if not labels:
                skip(tag, "offers no labels")
                continue
            ctrls.append(entry | {"type": "spans", "labels": labels})
        elif tag.tag in _IMAGE_CONTROLS:
            if obj.tag != "Image":
                skip(tag, f"points at <{obj.tag}>, not an <Image>")
                continue
            labels = _labels(tag, "Label")
            if not labels:
                skip(tag, "offers no labels")
                continue
            kind = _IMAGE_CONTROLS[tag.tag]
            if kind == "keypoints":
                skeleton = {"keypoints": [lab["name"] for lab in labels], "edges": []}
                parents = [
                    lab["name"]
                    for r in rect_labels
                    if r.get("toName") == to
                    for lab in _labels(r, "Label")
                ]
                labels = [
                    {"name": n, "skeleton": skeleton} for n in dict.fromkeys([cname, *parents])
                ]
            ctrls.append(entry | {"type": kind, "labels": labels})
        elif tag.tag == "TextArea":
            ctrls.append(entry | {"type": "text"})
        elif tag.tag == "Rating":
            try:
                top = int(tag.get("maxRating", "5"))
            except ValueError:
                top = 0
            if top < 2:
                skip(tag, f"maxRating {tag.get('maxRating')!r} is not an integer of 2 or more")
                continue
            ctrls.append(entry | {"type": "rating", "scale": [1, top]})
        elif tag.tag == "Ranker":
            if obj.tag != "List":
                skip(tag, f"ranks <{obj.tag}>, not a <List>")
                continue
            buckets = [b.get("name") for b in tag.iter("Bucket") if b.get("name")]
            out.ranker_buckets = tuple(str(b) for b in buckets)
            ctrls.append(entry | {"type": "ranking", "allow_ties": bool(buckets)})
        else:
            skip(tag, f"<{tag.tag}> has no labelwell control")
    spans = [c["name"] for c in ctrls if c["type"] == "spans"]
    for tag in relations:
        labels = _labels(tag, "Relation")
        if not spans:
            skip(tag, "relations need a Labels control on a Text")
        elif not labels:
            skip(tag, "relations without <Relation> values have no labelwell control")
        else:
            name = tag.get("name") or "relations"
            ctrls.append({"name": name, "type": "relations", "spans": spans[0], "labels": labels})
    if not ctrls:
        listed = "; ".join(out.skipped) or "no control tags"
        raise InvalidInput(
            f"label_config has no tag labelwell can convert ({listed})", field="label_config"
        )
    return out


# -- the other way ----------------------------------------------------------------------


def object_names(ctrls: Sequence[Control]) -> dict[str, str]:
    """The object tag each control points at (its ``toName``): its source, else
    the first source of the ontology, else ``text``. The exporter writes the
    same ``to_name`` in every region."""
    default = next((c.source for c in ctrls if c.source), None) or "text"
    return {c.name: c.source or default for c in ctrls}


def config_from_ontology(ontology: Any, *, layout: str = "labelwell") -> LabelConfig:
    """The labeling config of a labelwell ontology, for its Label Studio export
    (``layout="comparison"`` for ``label_studio_comparison``)."""
    ctrls = controls(ontology)
    raw = _raw_controls(ontology)
    to = object_names(ctrls)
    notes: list[str] = []
    root = ET.Element("View")
    objects: dict[str, str] = {}
    for c in ctrls:
        if c.type in ("pairwise", "relations"):
            continue
        src = to[c.name]
        kind = "Image" if c.type in IMAGE_TYPES else "List" if c.type == "ranking" else "Text"
        if objects.setdefault(src, kind) != kind:
            notes.append(
                f"{src!r} is read as {objects[src]} and as {kind}; shown as {objects[src]}"
            )
    if any(c.type == "pairwise" for c in ctrls):
        for src in ("prompt", "answer1", "answer2"):
            objects.setdefault(src, "Text")
        if layout != "comparison":
            notes.append(
                "pairwise tasks open in Label Studio in the comparison layout: "
                "export with --format label_studio_comparison"
            )
    for src, kind in objects.items():
        attrs = {"name": src, "value": f"${src}"}
        if kind == "List":
            attrs["title"] = src
        ET.SubElement(root, kind, attrs)
    for c in ctrls:
        attrs = {"name": c.name, "toName": to[c.name]}
        if raw[c.name].get("required"):
            attrs["required"] = "true"
        if c.type in ("choice", "multi_choice"):
            if c.type == "multi_choice":
                attrs["choice"] = "multiple"
            tag = ET.SubElement(root, "Choices", attrs)
            for opt in c.labels:
                ET.SubElement(tag, "Choice", {"value": opt})
        elif c.type in ("spans", "bbox", "polygon", "mask", "panoptic"):
            kind = {
                "spans": "Labels",
                "bbox": "RectangleLabels",
                "polygon": "PolygonLabels",
            }.get(c.type, "BrushLabels")
            if c.type == "panoptic":
                notes.append(f"{c.name!r}: panoptic segments open as brush masks (no things/stuff)")
            tag = ET.SubElement(root, kind, attrs)
            for lab in c.labels:
                la = {"value": lab}
                if c.label_info.get(lab, {}).get("color"):
                    la["background"] = c.label_info[lab]["color"]
                ET.SubElement(tag, "Label", la)
        elif c.type == "keypoints":
            tag = ET.SubElement(root, "KeyPointLabels", attrs)
            names: dict[str, None] = {}
            for lab in c.labels:
                for kp in (c.label_info.get(lab, {}).get("skeleton") or {}).get("keypoints", []):
                    names.setdefault(kp, None)
            for kp in names:
                ET.SubElement(tag, "Label", {"value": kp})
            if len(c.labels) > 1:
                notes.append(f"{c.name!r}: Label Studio has no skeletons; keypoints of every label")
        elif c.type == "relations":
            tag = ET.SubElement(root, "Relations", {"name": c.name})
            for lab in c.labels:
                ET.SubElement(tag, "Relation", {"value": lab})
        elif c.type == "text":
            ET.SubElement(root, "TextArea", attrs)
        elif c.type == "rating":
            lo, hi = raw[c.name].get("scale") or (1, 5)
            if lo != 1 or raw[c.name].get("aspects"):
                notes.append(f"{c.name!r}: Label Studio rates 1..maxRating, one aspect")
            ET.SubElement(root, "Rating", attrs | {"maxRating": str(hi)})
        elif c.type == "pairwise":
            ET.SubElement(root, "Pairwise", {"name": c.name, "toName": "answer1,answer2"})
            tag = ET.SubElement(root, "Choices", {"name": f"{c.name}_choice", "toName": "prompt"})
            for opt in ("tie", "both_bad"):
                ET.SubElement(tag, "Choice", {"value": opt})
            ET.SubElement(root, "TextArea", {"name": f"{c.name}_reason", "toName": "prompt"})
        elif c.type == "ranking":
            ET.SubElement(root, "Ranker", attrs)
        else:
            notes.append(f"{c.name!r}: Label Studio has no tag for {c.type} controls")
    ET.indent(root)
    return LabelConfig(ET.tostring(root, encoding="unicode") + "\n", notes)


def _raw_controls(ontology: Any) -> dict[str, dict[str, Any]]:
    raw = ontology.to_dict() if hasattr(ontology, "to_dict") else ontology
    return {c["name"]: c for c in raw.get("controls", [])}
