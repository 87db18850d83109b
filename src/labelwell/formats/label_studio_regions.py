"""Label Studio result regions to and from labelwell results: boxes, polygons,
spans, relations, choices, text and ratings here; keypoints and brush masks in
``label_studio_vision``, pairwise and ranking in ``label_studio_prefs``. The
mapping table is in ``labelwell.formats.label_studio``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats import label_studio_prefs as prefs
from labelwell.formats import label_studio_vision as vision
from labelwell.formats._ontology import Control, check_label
from labelwell.formats.label_studio_config import TAXONOMY_SEP, object_names

LS_TYPES = {
    "rectanglelabels": "bbox",
    "polygonlabels": "polygon",
    "labels": "spans",
    "relation": "relations",
    "choices": "choice",
    "textarea": "text",
    "rating": "rating",
    "keypointlabels": "keypoints",
    "brushlabels": "mask",
    "pairwise": "pairwise",
    "ranker": "ranking",
    "taxonomy": "choice",
}
# labelwell control types a Label Studio region type may fill.
KINDS = {
    "choice": ("choice", "multi_choice"),
    "mask": ("mask", "panoptic"),
}


def image_size(data: dict[str, Any], where: str) -> tuple[float, float]:
    try:
        return float(data["width"]), float(data["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{where}: images need data.width and data.height", field="data.width"
        ) from exc


def _image_meta(w: float, h: float) -> dict[str, Any]:
    return {"original_width": int(w), "original_height": int(h), "image_rotation": 0}


def to_regions(
    result: dict[str, Any],
    ctrls: list[Control],
    data: dict[str, Any],
    where: str,
    pairwise_to: str | None = None,
) -> list[dict[str, Any]]:
    """A labelwell result as Label Studio result regions (``pairwise_to``: the
    ``to_name`` of pairwise regions, see ``label_studio_prefs.pairwise_regions``)."""
    out: list[dict[str, Any]] = []
    to = object_names(ctrls)
    for c in ctrls:
        value = result.get(c.name)
        if value is None:
            continue
        base = {"from_name": c.name, "to_name": to[c.name]}
        if c.type in ("bbox", "polygon"):
            w, h = image_size(data, where)
            for i, r in enumerate(value):
                if c.type == "bbox":
                    v = {
                        "x": 100 * r["x"] / w,
                        "y": 100 * r["y"] / h,
                        "width": 100 * r["width"] / w,
                    }
                    v.update(height=100 * r["height"] / h, rotation=0, rectanglelabels=[r["label"]])
                    kind = "rectanglelabels"
                else:
                    v = {"points": [[100 * x / w, 100 * y / h] for x, y, *_ in r["points"]]}
                    v["polygonlabels"] = [r["label"]]
                    kind = "polygonlabels"
                out.append(
                    {"id": str(r.get("id") or f"{c.name}-{i}"), **base, "type": kind, "value": v}
                    | _image_meta(w, h)
                )
        elif c.type == "keypoints":
            w, h = image_size(data, where)
            meta = _image_meta(w, h)
            out.extend(r | meta for r in vision.keypoint_regions(c, value, base, w, h))
        elif c.type in ("mask", "panoptic"):
            for r, size in vision.brush_regions(c, value, base, data, where):
                out.append(r | _image_meta(*size))
        elif c.type == "pairwise":
            out.extend(prefs.pairwise_regions(c, value, pairwise_to))
        elif c.type == "ranking":
            out.append(prefs.ranker_region(c, value))
        elif c.type == "spans":
            text = data.get(c.source or "text") or ""
            for i, r in enumerate(value):
                s, e = int(r["start"]), int(r["end"])
                v = {"start": s, "end": e, "text": text[s:e]}
                v["labels"] = [r["label"]]
                out.append(
                    {
                        "id": str(r.get("id") or f"{c.name}-{i}"),
                        **base,
                        "type": "labels",
                        "value": v,
                    }
                )
        elif c.type == "relations":
            for r in value:
                rel = {"type": "relation", "from_id": str(r["from"]), "to_id": str(r["to"])}
                out.append(
                    rel | {"direction": "right", "labels": [r["label"]] if r.get("label") else []}
                )
        elif c.type in ("choice", "multi_choice"):
            choices = [value] if isinstance(value, str) else list(value)
            out.append({"id": c.name, **base, "type": "choices", "value": {"choices": choices}})
        elif c.type == "text":
            out.append({"id": c.name, **base, "type": "textarea", "value": {"text": [value]}})
        elif c.type == "rating" and isinstance(value, int):
            out.append({"id": c.name, **base, "type": "rating", "value": {"rating": value}})
    return out


class RegionReader:
    """Reads one annotation's ``result`` list into a labelwell result.

    ``unsupported="skip"`` drops region types with no mapping instead of raising;
    ``ranker_buckets`` orders Label Studio ``Bucket`` names best first."""

    def __init__(
        self,
        ctrls: dict[str, Control],
        unsupported: str = "error",
        ranker_buckets: Sequence[str] | None = None,
    ) -> None:
        self.ctrls = ctrls
        self.unsupported = unsupported
        self.ranker_buckets = tuple(ranker_buckets or ())

    def control(self, name: str, kind: str, field: str) -> Control | None:
        """The control a region fills: the one named ``name``, else the only
        control of a fitting type; ``None`` when reading without an ontology."""
        kinds = KINDS.get(kind, (kind,))
        ctrl = self.ctrls.get(name)
        if ctrl is not None and ctrl.type not in kinds:
            raise InvalidInput(
                f"control {name!r} is a {ctrl.type} control, not {' or '.join(kinds)}",
                field=f"{field}.from_name",
            )
        if ctrl is None:
            ctrl = next((c for c in self.ctrls.values() if c.type in kinds), None)
        if self.ctrls and ctrl is None:
            raise InvalidInput(f"no control {name!r} in the ontology", field=f"{field}.from_name")
        return ctrl

    def read(
        self, regions: list[dict[str, Any]], data: dict[str, Any], where: str, file: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        points = vision.KeypointGroups(regions)
        choices = prefs.PairwiseParts(self.ctrls)
        for k, reg in enumerate(regions):
            field = f"{where}.result[{k}]"
            try:
                if not isinstance(reg, dict):
                    raise InvalidInput("a region must be an object", field=field)
                if choices.take(reg, field):
                    continue
                kind = LS_TYPES.get(reg.get("type", ""))
                if kind is None:
                    if self.unsupported == "skip":
                        continue
                    raise InvalidInput(
                        f"region type {reg.get('type')!r} is not supported", field=field
                    )
                name = "relations" if kind == "relations" else reg.get("from_name", kind)
                ctrl = self.control(name, kind, field)
                if ctrl is not None:
                    name = ctrl.name
                if kind == "keypoints":
                    points.add(name, ctrl, reg, data, field)
                elif kind == "pairwise":
                    choices.add_selected(name, reg, data, field)
                else:
                    self._add(out, name, kind, ctrl, reg, data, field)
            except InvalidInput as exc:
                raise InvalidInput(f"{file}: {exc.message}", field=exc.field) from exc
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as exc:
                raise InvalidInput(
                    f"{file}: bad {reg.get('type')} region: {exc}", field=field
                ) from exc
        try:
            out.update(points.results())
            out.update(choices.results())
        except InvalidInput as exc:
            raise InvalidInput(f"{file}: {exc.message}", field=exc.field) from exc
        return out

    def _add(
        self,
        out: dict[str, Any],
        name: str,
        kind: str,
        ctrl: Control | None,
        reg: dict[str, Any],
        data: dict[str, Any],
        field: str,
    ) -> None:
        v = reg.get("value") or {}
        rid = str(reg.get("id", len(out.get(name, []))))

        def lab(key: str) -> str:
            label = v[key][0]
            return check_label(ctrl, label, line=None, field=field) if ctrl else label

        if kind in ("bbox", "polygon", "mask"):
            w = float(reg.get("original_width") or data["width"])
            h = float(reg.get("original_height") or data["height"])
            data.setdefault("width", int(w))
            data.setdefault("height", int(h))
            if kind == "bbox":
                r = {
                    "id": rid,
                    "label": lab("rectanglelabels"),
                    "x": v["x"] * w / 100,
                    "y": v["y"] * h / 100,
                }
                r.update(width=v["width"] * w / 100, height=v["height"] * h / 100)
                if v.get("rotation"):
                    r["attributes"] = {"rotation": v["rotation"]}
            elif kind == "polygon":
                pts = [[x * w / 100, y * h / 100] for x, y in v["points"]]
                r = {"id": rid, "label": lab("polygonlabels"), "points": pts}
            else:
                r = vision.brush_region(ctrl, rid, lab("brushlabels"), v, out.get(name, []))
                r.update(vision.read_brush(v, int(w), int(h), field))
            out.setdefault(name, []).append(r)
        elif kind == "spans":
            text = (
                data.get(ctrl.source if ctrl and ctrl.source else reg.get("to_name", "text")) or ""
            )
            s, e = int(v["start"]), int(v["end"])
            if not 0 <= s < e <= len(text):
                raise InvalidInput(
                    f"span [{s}, {e}) is outside the text of {len(text)} characters",
                    field=f"{field}.value",
                )
            said = v.get("text")
            if isinstance(said, str) and said != text[s:e]:
                raise InvalidInput(
                    f"span [{s}, {e}) says text {said!r} but the task's text there is "
                    f"{text[s:e]!r} (Label Studio offsets count code points)",
                    field=f"{field}.value.text",
                )
            span = {"id": rid, "start": s, "end": e, "label": lab("labels"), "text": text[s:e]}
            out.setdefault(name, []).append(span)
        elif kind == "relations":
            labels = reg.get("labels") or []
            rel = {
                "from": reg["from_id"],
                "to": reg["to_id"],
                "label": labels[0] if labels else None,
            }
            out.setdefault(name, []).append(rel)
        elif kind == "choice":
            if reg.get("type") == "taxonomy":
                choices = [TAXONOMY_SEP.join(path) for path in v["taxonomy"]]
            else:
                choices = list(v["choices"])
            for c in choices:
                if ctrl:
                    check_label(ctrl, c, line=None, field=field)
            multi = (ctrl.type == "multi_choice") if ctrl else len(choices) > 1
            out[name] = choices if multi else choices[0]
        elif kind == "text":
            texts = v["text"]
            out[name] = texts[0] if len(texts) == 1 else "\n".join(texts)
        elif kind == "ranking":
            out[name] = prefs.read_ranker(name, reg, data, ctrl, self.ranker_buckets, field)
        else:
            out[name] = int(v["rating"])
