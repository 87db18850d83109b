"""Label Studio ``keypointlabels`` and ``brushlabels`` regions.

Keypoints: Label Studio has no skeleton, so an instance is written as one
``keypointlabels`` region per labeled point (visibility 1 or 2), named by the
keypoint (``keypointlabels: ["head"]``, as Label Studio pose configurations list
their ``<Label>`` values), with ``parentID`` set to the instance id, region id
``"<instance id>:<keypoint>"``, and two labelwell keys in ``value``:
``instance_label`` (the skeleton label) and ``visibility``. On import, points are
grouped by ``parentID``; points without one form one instance per control. The
instance label is ``value.instance_label``, else the label of the
``rectanglelabels`` region named by ``parentID`` (Label Studio's pose layout),
else the only skeleton holding every point's name. Missing visibility reads as 2
(Label Studio's converter counts every point as visible).

Brush masks: ``value: {format: "rle", rle, brushlabels}`` in Label Studio's brush
RLE (``labelwell.formats.ls_brush``); polygon masks are painted at pixel centres.
Panoptic segments add ``value.instance_id``. Imported masks come back as COCO
compressed RLE."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats._geometry import mask_to_rle, rle_to_mask
from labelwell.formats._ontology import Control, check_label
from labelwell.formats.ls_brush import brush_to_mask, mask_to_brush, polygon_to_mask

# The drawn size of a point, in percent of the image width (Label Studio's ``width``).
KEYPOINT_WIDTH = 0.5


def skeleton_names(ctrl: Control, label: str) -> list[str]:
    return list((ctrl.label_info.get(label, {}).get("skeleton") or {}).get("keypoints") or [])


def keypoint_regions(
    c: Control, value: list[dict[str, Any]], base: dict[str, str], w: float, h: float
) -> Iterator[dict[str, Any]]:
    for i, inst in enumerate(value):
        iid = str(inst.get("id") or f"{c.name}-{i}")
        for name, (x, y, visibility) in inst["points"].items():
            if not visibility:
                continue
            v = {"x": 100 * x / w, "y": 100 * y / h, "width": KEYPOINT_WIDTH}
            v.update(keypointlabels=[name], instance_label=inst["label"], visibility=visibility)
            yield {
                "id": f"{iid}:{name}",
                **base,
                "type": "keypointlabels",
                "parentID": iid,
                "value": v,
            }


class KeypointGroups:
    """Collects the ``keypointlabels`` regions of one result into instances."""

    def __init__(self, regions: list[Any]) -> None:
        self.parents = {
            str(r["id"]): (r.get("value") or {}).get("rectanglelabels") or []
            for r in regions
            if isinstance(r, dict) and r.get("type") == "rectanglelabels" and "id" in r
        }
        self.groups: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.ctrls: dict[str, Control | None] = {}

    def add(
        self, name: str, ctrl: Control | None, reg: dict[str, Any], data: dict[str, Any], field: str
    ) -> None:
        v = reg["value"]
        w = float(reg.get("original_width") or data["width"])
        h = float(reg.get("original_height") or data["height"])
        data.setdefault("width", int(w))
        data.setdefault("height", int(h))
        names = v["keypointlabels"]
        if not isinstance(names, list) or not names or not isinstance(names[0], str):
            raise InvalidInput(
                "keypointlabels must name the keypoint", field=f"{field}.value.keypointlabels"
            )
        visibility = v.get("visibility", 2)
        if type(visibility) is not int or visibility not in (1, 2):
            raise InvalidInput(
                f"visibility must be 1 or 2, got {visibility!r}", field=f"{field}.value.visibility"
            )
        parent = reg.get("parentID")
        parent = None if parent is None else str(parent)
        label = v.get("instance_label")
        if label is None and parent is not None and self.parents.get(parent):
            label = self.parents[parent][0]
        if label is not None and ctrl is not None:
            check_label(ctrl, label, line=None, field=f"{field}.value.instance_label")
        self.ctrls[name] = ctrl
        group = self.groups.setdefault(
            (name, parent),
            {"id": parent or str(reg.get("id", f"{name}-{len(self.groups)}")), "points": {}},
        )
        if label is not None:
            if group.get("label", label) != label:
                raise InvalidInput(
                    f"instance {group['id']!r} mixes labels {group['label']!r} and {label!r}",
                    field=f"{field}.value.instance_label",
                )
            group["label"] = label
        kp = names[0]
        if kp in group["points"]:
            raise InvalidInput(
                f"keypoint {kp!r} appears twice in instance {group['id']!r}",
                field=f"{field}.value.keypointlabels",
            )
        group["points"][kp] = [v["x"] * w / 100, v["y"] * h / 100, visibility]
        group.setdefault("fields", {})[kp] = field

    def results(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for (name, _), group in self.groups.items():
            ctrl, fields = self.ctrls[name], group.pop("fields")
            first = next(iter(fields.values()))
            label = group.get("label")
            if label is None:
                fits = (
                    [
                        lab
                        for lab in ctrl.labels
                        if set(group["points"]) <= set(skeleton_names(ctrl, lab))
                    ]
                    if ctrl
                    else []
                )
                if len(fits) > 1 and name in fits:
                    fits = [name]  # a migrated config's own skeleton (label_studio_config)
                if len(fits) != 1:
                    raise InvalidInput(
                        f"cannot tell the skeleton of instance {group['id']!r} "
                        f"(skeletons holding its points: {', '.join(fits) or 'none'}); "
                        "give value.instance_label or a parent rectangle",
                        field=f"{first}.value",
                    )
                label = fits[0]
            if ctrl is not None:
                allowed = skeleton_names(ctrl, label)
                for kp, at in fields.items():
                    if kp not in allowed:
                        raise InvalidInput(
                            f"{kp!r} is not a keypoint of {label!r} ({', '.join(allowed)})",
                            field=f"{at}.value.keypointlabels",
                        )
            out.setdefault(name, []).append(
                {"id": group["id"], "label": label, "points": group["points"]}
            )
        return out


def brush_regions(
    c: Control, value: list[dict[str, Any]], base: dict[str, str], data: dict[str, Any], where: str
) -> Iterator[tuple[dict[str, Any], tuple[int, int]]]:
    """Brush regions of masks, each with the (width, height) it was painted at."""
    for i, r in enumerate(value):
        if r.get("rle") is not None:
            h, w = (int(s) for s in r["rle"]["size"])
            mask = rle_to_mask(r["rle"])
        else:
            try:
                w, h = int(data["width"]), int(data["height"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(
                    f"{where}: polygon masks need data.width and data.height", field="data.width"
                ) from exc
            mask = polygon_to_mask(r["points"], h, w)
        v: dict[str, Any] = {
            "format": "rle",
            "rle": mask_to_brush(mask),
            "brushlabels": [r["label"]],
        }
        if c.type == "panoptic":
            v["instance_id"] = r["instance_id"]
        rid = str(r.get("id") or f"{c.name}-{i}")
        yield {"id": rid, **base, "type": "brushlabels", "value": v}, (w, h)


def brush_region(
    ctrl: Control | None,
    rid: str,
    label: str,
    v: dict[str, Any],
    earlier: list[dict[str, Any]],
) -> dict[str, Any]:
    """The id and label of an imported mask; panoptic segments also get their
    ``instance_id`` (``value.instance_id``, else the next free one of the label)
    and the label's ``is_thing``."""
    r: dict[str, Any] = {"id": rid, "label": label}
    if ctrl is not None and ctrl.type == "panoptic":
        instance = v.get("instance_id")
        if instance is None:
            used = [e["instance_id"] for e in earlier if e["label"] == label]
            instance = max(used, default=0) + 1
        r["instance_id"] = instance
        r["is_thing"] = bool(ctrl.label_info.get(label, {}).get("is_thing", False))
    return r


def read_brush(v: dict[str, Any], width: int, height: int, field: str) -> dict[str, Any]:
    if v.get("format", "rle") != "rle":
        raise InvalidInput(
            f"brush format {v.get('format')!r} is not supported (only rle)",
            field=f"{field}.value.format",
        )
    try:
        mask = brush_to_mask(v["rle"], height, width)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"{field}.value.rle") from exc
    return {"rle": mask_to_rle(mask)}
