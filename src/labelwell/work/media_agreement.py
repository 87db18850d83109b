"""Agreement between annotators on media controls of a live project: masks, video
tracks, audio time regions (and their speakers) and cuboids.

Every pair of annotators who answered the same item gets one score per control,
by the library's measure for that type; an item's score is the mean of its pairs,
the control's score the mean of its items, and each annotator pair's score the
mean over the items both answered (the pairwise, item-averaged agreement of
Artstein & Poesio 2008, "Inter-coder agreement for computational linguistics",
Computational Linguistics 34(4), sec. 2.6, applied to structured answers):

* ``mask``, ``panoptic``: matched IoU (instances matched one to one at IoU >= 0.5,
  their IoU summed over the mean instance count; :func:`labelwell.quality.masks.
  mean_pairwise_iou`);
* ``video_track``: IDF1 (Ristani et al. 2016; :func:`labelwell.quality.tracks.
  compare_tracks`) over the frames the item's data or keyframes span;
* ``time_region``: F1 of regions matched at temporal IoU >= 0.5 with equal labels
  (:func:`labelwell.quality.temporal.segments_f1`), and, where regions name a
  ``speaker``, ``1 - DER`` averaged over both directions (NIST RT-09;
  :func:`labelwell.quality.temporal.diarization_agreement`);
* ``cuboid``: label F1 of cuboids matched at yawed 3D IoU >= 0.5, frame by frame
  (:func:`labelwell.quality.cuboids.cuboid_agreement`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.schema.ontology import Ontology
from labelwell.store.tables import Item

#: the IoU at which masks, time regions and cuboids match (as in work.consensus)
MATCH_IOU = 0.5

#: control type -> the measure(s) its pairs are scored by
MEASURES: dict[str, tuple[str, ...]] = {
    "mask": ("mask_iou",),
    "panoptic": ("mask_iou",),
    "video_track": ("idf1",),
    "time_region": ("segment_f1", "diarization"),
    "cuboid": ("cuboid_f1",),
}


@dataclass(frozen=True)
class ItemAgreement:
    """One item's mean over its annotator pairs."""

    item_id: int
    score: float
    n_pairs: int


@dataclass(frozen=True)
class PairAgreement:
    """One annotator pair's mean over the items both answered."""

    annotator_a: str
    annotator_b: str
    score: float
    n_items: int


@dataclass(frozen=True)
class MediaAgreement:
    """Pairwise agreement of one media control by one measure: ``score`` is the
    mean of the items' means (``None`` when no item has two answers)."""

    control: str
    type: str
    measure: str
    score: float | None
    n_items: int
    n_pairs: int
    items: list[ItemAgreement] = field(default_factory=list)
    pairs: list[PairAgreement] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """One annotator's current answer to one item."""

    item_id: int
    annotator: str
    result: dict[str, Any]


def _regions(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _mask_pair(a: Any, b: Any, _data: dict[str, Any]) -> float | None:
    from labelwell.quality.masks import mean_pairwise_iou

    ra, rb = _regions(a), _regions(b)
    if not all("rle" in r for r in (*ra, *rb)):
        return None  # polygons or brush strokes without RLE: nothing to compare
    return mean_pairwise_iou([ra, rb], MATCH_IOU)


def _track_pair(a: Any, b: Any, data: dict[str, Any]) -> float | None:
    from labelwell.media.video import frames_needed
    from labelwell.quality.tracks import compare_tracks

    ta, tb = _regions(a), _regions(b)
    frames = frames_needed([*ta, *tb], data)
    return compare_tracks(ta, tb, frames, MATCH_IOU).idf1


def _segments(value: Any, key: str) -> list[tuple[float, float, Any]]:
    return [(float(r["start"]), float(r["end"]), r.get(key)) for r in _regions(value)]


def _segment_pair(a: Any, b: Any, _data: dict[str, Any]) -> float | None:
    from labelwell.quality.temporal import segments_f1

    return segments_f1(_segments(a, "label"), _segments(b, "label"), MATCH_IOU)


def _diarization_pair(a: Any, b: Any, _data: dict[str, Any]) -> float | None:
    from labelwell.quality.temporal import diarization_agreement

    sa = [s for s in _segments(a, "speaker") if s[2] is not None]
    sb = [s for s in _segments(b, "speaker") if s[2] is not None]
    if not sa and not sb:
        return None  # no speakers named: not a diarization
    return diarization_agreement(sa, sb)


def _cuboid_pair(a: Any, b: Any, _data: dict[str, Any]) -> float | None:
    from labelwell.quality.cuboids import cuboid_agreement, cuboid_frame

    frame = cuboid_frame([(0, "a", _regions(a)), (0, "b", _regions(b))])
    return cuboid_agreement(frame, MATCH_IOU).label_f1


_PAIR: dict[str, Callable[[Any, Any, dict[str, Any]], float | None]] = {
    "mask_iou": _mask_pair,
    "idf1": _track_pair,
    "segment_f1": _segment_pair,
    "diarization": _diarization_pair,
    "cuboid_f1": _cuboid_pair,
}


def _score(
    control: str, kind: str, measure: str, answers: Sequence[Answer], data: Mapping[int, Any]
) -> MediaAgreement | None:
    by_item: dict[int, list[Answer]] = defaultdict(list)
    for a in answers:
        if a.result.get(control) is not None:
            by_item[a.item_id].append(a)
    per_item: list[ItemAgreement] = []
    per_pair: dict[tuple[str, str], list[float]] = defaultdict(list)
    scored_any = False
    for item_id in sorted(by_item):
        found = sorted(by_item[item_id], key=lambda a: a.annotator)
        scores = []
        for x, y in combinations(found, 2):
            try:
                s = _PAIR[measure](x.result[control], y.result[control], data.get(item_id) or {})
            except (KeyError, TypeError, ValueError, IndexError) as e:
                raise InvalidInput(
                    f"{control}: item {item_id}: an answer cannot be scored ({e})", field=control
                ) from e
            if s is None:
                continue
            scored_any = True
            scores.append(s)
            per_pair[(x.annotator, y.annotator)].append(s)
        if scores:
            per_item.append(ItemAgreement(item_id, float(np.mean(scores)), len(scores)))
    if measure == "diarization" and not scored_any:
        return None  # regions without speakers: only the segment F1 applies
    return MediaAgreement(
        control=control,
        type=kind,
        measure=measure,
        score=float(np.mean([i.score for i in per_item])) if per_item else None,
        n_items=len(per_item),
        n_pairs=sum(i.n_pairs for i in per_item),
        items=per_item,
        pairs=[
            PairAgreement(a, b, float(np.mean(v)), len(v)) for (a, b), v in sorted(per_pair.items())
        ],
    )


def media_agreement(
    ontology: Ontology, answers: Sequence[Answer], item_data: Mapping[int, Any]
) -> list[MediaAgreement]:
    """Pairwise agreement of every media control of ``ontology`` over ``answers``
    (current human answers); ``item_data`` gives video items' data (their frame
    counts)."""
    return [
        found
        for control in ontology.controls
        if control.type in MEASURES
        for measure in MEASURES[control.type]
        if (found := _score(control.name, control.type, measure, answers, item_data)) is not None
    ]


def project_media_agreement(
    session: Session, ontology: Ontology, answers: Iterable[Answer]
) -> list[MediaAgreement]:
    """:func:`media_agreement` of a live project's answers, reading the data of
    the video items among them (the caller has checked the reader manages it)."""
    answers = list(answers)
    videos = [c.name for c in ontology.controls if c.type == "video_track"]
    ids = sorted({a.item_id for a in answers if any(a.result.get(n) for n in videos)})
    data: dict[int, Any] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        data.update(
            (i, d) for i, d in session.execute(select(Item.id, Item.data).where(Item.id.in_(chunk)))
        )
    return media_agreement(ontology, answers, data)
