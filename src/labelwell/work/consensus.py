"""Consensus on live items, decided inside the submit that completes an item's overlap.

Rules (Snow et al. 2008; Sheng, Provost & Ipeirotis 2008; the library side is
:func:`labelwell.quality.consensus.decide`), per control of the ontology:

* categorical controls (``choice``): all agree -> accept; more than half agree ->
  accept the majority label and send the item to review (the dissenters'
  annotations stay ``submitted``); no majority -> escalate to an expert, no
  consensus label;
* every other control (spans, boxes, text, ...): the results are compared for
  exact equality (JSON with sorted keys; ``multi_choice`` as a set); any
  difference sends the item to review and that control gets no consensus value;
* masks (``mask``, ``panoptic`` as RLE) that differ agree when every pair of
  answers overlaps by ``MASK_AGREEMENT`` (matched instances' IoU, Hungarian), and
  their consensus value is the per-pixel majority of the matched instances;
* time regions (``time_region``) that differ agree when every answer's regions
  match the first answer's one to one at ``SEGMENT_IOU`` temporal IoU with equal
  labels (:func:`labelwell.quality.temporal.segments_consensus`); the consensus
  takes each matched group's median start and end;
* video tracks (``video_track``) that differ agree when their mean pairwise IDF1
  (:func:`labelwell.quality.tracks.pairwise_idf1`, boxes matched at IoU 0.5) is
  at least ``TRACK_AGREEMENT``; the consensus is the medoid answer;
* cuboids (``cuboid``) that differ agree when, frame by frame, every answer's
  cuboids match the first answer's one to one at ``CUBOID_IOU`` 3D IoU with equal
  labels (:func:`labelwell.quality.cuboids.cuboids_consensus`); the consensus
  takes each group's median centre and size and mean yaw.

The item takes the most severe outcome of its controls (escalate > review >
accept). A consensus label is stored as an annotation with ``source="consensus"``,
``agent="consensus:majority"`` and the method, parameters and vote counts in
``details``; the annotations that agree with it on every control are accepted.
Items wait in ``items.review_state`` (``review`` | ``escalated``) until a reviewer
(review) or a manager (escalated) adjudicates them (``resolved``).

Projects with an overlap of 1 have nothing to agree on and are left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.quality.consensus import decide
from labelwell.schema.ontology import Ontology
from labelwell.store.db import rows_changed
from labelwell.store.raw import Raw, Statement, dumps, loads
from labelwell.store.tables import Annotation, GoldAnswer, Item, Project, utcnow
from labelwell.work import audit, webhooks
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

CATEGORICAL = frozenset({"choice"})
METHOD = "majority"
AGENT = f"consensus:{METHOD}"
_SEVERITY = {"accept": 0, "review": 1, "escalate": 2}


def _key(control_type: str | None, value: Any) -> str:
    """A comparable form of one control's value: JSON with sorted keys, with
    ``multi_choice`` selections compared as sets."""
    if control_type == "multi_choice" and isinstance(value, list):
        value = sorted(value, key=str)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _types(ontology: Ontology) -> dict[str, str]:
    return {c.name: c.type for c in ontology.controls}


def gold_matches(
    ontology: Ontology, result: dict[str, Any], gold: dict[str, Any]
) -> dict[str, bool]:
    """Per control of the gold answer: does ``result`` match it exactly?"""
    types = _types(ontology)
    return {
        name: _key(types.get(name), result.get(name)) == _key(types.get(name), expected)
        for name, expected in gold.items()
    }


def check_gold(session: Session, project: Project, annotation: Annotation) -> None:
    """Record on a gold check whether it matched the gold answer:
    ``details["gold_correct"]`` (every control) and ``details["gold_controls"]``."""
    gold = session.get(GoldAnswer, annotation.item_id)
    if gold is None:
        return
    per_control = gold_matches(ontology_of(project), annotation.result, gold.result)
    annotation.details = {
        **(annotation.details or {}),
        "gold_correct": all(per_control.values()),
        "gold_controls": per_control,
    }


@dataclass(frozen=True)
class ItemConsensus:
    """The outcome for one item: ``outcome`` (accept | review | escalate), the
    consensus ``result`` (controls that have one), per-control ``controls``
    summaries and the ids of the annotations that agree with it everywhere."""

    outcome: str
    result: dict[str, Any]
    controls: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_ids: tuple[int, ...] = ()
    dissenters: tuple[str, ...] = ()


class Vote(Protocol):
    """What the rules read of an annotation (an ``Annotation`` row, or the
    columns the submit reads for itself)."""

    @property
    def id(self) -> int: ...
    @property
    def agent(self) -> str: ...
    @property
    def result(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    source: str
    agent: str
    result: dict[str, Any] | None


def decide_item(ontology: Ontology, annotations: Sequence[Vote], overlap: int) -> ItemConsensus:
    """Apply the rules of this module to the current human annotations of one item."""
    result: dict[str, Any] = {}
    controls: dict[str, dict[str, Any]] = {}
    agree = {a.id: True for a in annotations}
    agent_of = {a.id: a.agent for a in annotations}
    worst = "accept"
    for control in ontology.controls:
        name, kind = control.name, control.type
        values = {a.id: (a.result or {}).get(name) for a in annotations}
        if kind in CATEGORICAL:
            votes: dict[Hashable, Hashable] = {i: v for i, v in values.items()}
            decision = decide(votes, overlap)
            outcome, label = decision.outcome, decision.label
            counts = Counter("" if v is None else str(v) for v in values.values())
            summary: dict[str, Any] = {"type": kind, "outcome": outcome, "votes": dict(counts)}
            matches = {i: v == label for i, v in values.items()}
        else:
            keys = {i: _key(kind, v) for i, v in values.items()}
            distinct = len(set(keys.values()))
            unanimous = distinct == 1
            outcome = "accept" if unanimous else "review"
            label = next(iter(values.values())) if unanimous else None
            summary = {"type": kind, "outcome": outcome, "distinct_answers": distinct}
            matches = {i: unanimous for i in values}
            if kind in MASKS and not unanimous and _all_rle(values.values()):
                outcome, label, summary, matches = _masks_agree(kind, values, distinct)
            if kind == "time_region" and not unanimous:
                outcome, label, summary, matches = _segments_agree(kind, values, distinct)
            if kind == "video_track" and not unanimous:
                outcome, label, summary, matches = _tracks_agree(kind, values, distinct)
            if kind == "cuboid" and not unanimous:
                outcome, label, summary, matches = _cuboids_agree(kind, values, distinct)
        if outcome == "pending":  # fewer votes than the overlap: not ours to call
            return ItemConsensus("pending", {}, {}, (), ())
        controls[name] = summary
        if _SEVERITY[outcome] > _SEVERITY[worst]:
            worst = outcome
        if outcome != "escalate" and label is not None:
            result[name] = label
        for i, ok in matches.items():
            agree[i] = agree[i] and ok and outcome != "escalate"
    accepted = tuple(i for i, ok in agree.items() if ok) if worst != "escalate" else ()
    dissenters = tuple(agent_of[i] for i, ok in agree.items() if not ok)
    return ItemConsensus(worst, result, controls, accepted, dissenters)


#: mask controls agree when every pair of answers overlaps this much (matched
#: instances' IoU summed, over the pair's instance count; quality.masks)
MASKS = frozenset({"mask", "panoptic"})
MASK_AGREEMENT = 0.9


def _all_rle(values: Any) -> bool:
    return all(
        isinstance(v, list) and all(isinstance(r, dict) and "rle" in r for r in v) for v in values
    )


def _masks_agree(
    kind: str, values: dict[int, Any], distinct: int
) -> tuple[Literal["accept", "review"], Any, dict[str, Any], dict[int, bool]]:
    """Masks that nearly coincide (pixel edges apart) agree: the consensus is
    their per-pixel majority (:func:`labelwell.quality.masks.aggregate_masks`)."""
    from labelwell.quality.masks import aggregate_masks, mean_pairwise_iou

    answers = list(values.values())
    score = mean_pairwise_iou(answers)
    summary: dict[str, Any] = {"type": kind, "distinct_answers": distinct, "mask_iou": score}
    if score < MASK_AGREEMENT:
        summary["outcome"] = "review"
        return "review", None, summary, {i: False for i in values}
    summary["outcome"] = "accept"
    return "accept", aggregate_masks(answers), summary, {i: True for i in values}


#: time regions agree when matched one to one at this temporal IoU (quality.temporal)
SEGMENT_IOU = 0.5


def _segments_agree(
    kind: str, values: dict[int, Any], distinct: int
) -> tuple[Literal["accept", "review"], Any, dict[str, Any], dict[int, bool]]:
    """Time regions that nearly coincide agree (one-to-one matches, same labels)."""
    from labelwell.quality.temporal import segments_consensus

    try:
        merged = segments_consensus(list(values.values()), SEGMENT_IOU)
    except (KeyError, TypeError, ValueError):  # not regions: leave it to review
        merged = None
    return _merged_or_review(kind, values, distinct, merged, segment_iou=SEGMENT_IOU)


def _merged_or_review(
    kind: str, values: dict[int, Any], distinct: int, merged: Any, **tolerance: float
) -> tuple[Literal["accept", "review"], Any, dict[str, Any], dict[int, bool]]:
    """A tolerant comparison's outcome: ``merged`` (the answers agreed within
    ``tolerance``) is accepted with every answer, None sends the item to review."""
    summary: dict[str, Any] = {"type": kind, "distinct_answers": distinct}
    if merged is None:
        summary["outcome"] = "review"
        return "review", None, summary, {i: False for i in values}
    summary.update(outcome="accept", **tolerance)
    return "accept", merged, summary, {i: True for i in values}


#: cuboids agree when matched one to one at this 3D IoU, frame by frame (quality.cuboids)
CUBOID_IOU = 0.5


def _cuboids_agree(
    kind: str, values: dict[int, Any], distinct: int
) -> tuple[Literal["accept", "review"], Any, dict[str, Any], dict[int, bool]]:
    """Cuboids that nearly coincide agree (one-to-one 3D IoU matches, same labels)."""
    from labelwell.quality.cuboids import cuboids_consensus

    try:
        merged = cuboids_consensus(list(values.values()), CUBOID_IOU)
    except (KeyError, TypeError, ValueError, IndexError, InvalidInput):  # not cuboids: review
        merged = None
    return _merged_or_review(kind, values, distinct, merged, cuboid_iou=CUBOID_IOU)


#: video tracks agree when every pair's IDF1 averages at least this (quality.tracks)
TRACK_AGREEMENT = 0.9


def _tracks_agree(
    kind: str, values: dict[int, Any], distinct: int
) -> tuple[Literal["accept", "review"], Any, dict[str, Any], dict[int, bool]]:
    """Tracks that follow the same objects, each under one identity, agree; the
    consensus is the answer closest to the others (highest mean IDF1)."""
    from labelwell.media.video import frames_needed
    from labelwell.quality.tracks import pairwise_idf1

    answers = [v or [] for v in values.values()]
    summary: dict[str, Any] = {"type": kind, "distinct_answers": distinct}
    try:
        frames = frames_needed([t for a in answers for t in a], {})
        score, medoid = pairwise_idf1(answers, frames)
    except (KeyError, TypeError, ValueError, InvalidInput):  # not tracks: to review
        score, medoid = 0.0, 0
    summary["idf1"] = score
    if score < TRACK_AGREEMENT:
        summary["outcome"] = "review"
        return "review", None, summary, {i: False for i in values}
    summary["outcome"] = "accept"
    return "accept", answers[medoid], summary, {i: True for i in values}


#: the item's current human answers from leases (gold checks aside) and any
#: consensus already stored, oldest first
_VOTES = Statement(
    "SELECT id, source, agent, CAST(result AS TEXT) FROM annotations"
    " WHERE item_id = ? AND is_current = ?"
    " AND (source = 'consensus'"
    " OR (source = 'human' AND assignment_id IS NOT NULL AND is_gold_check = ?))"
    " ORDER BY id"
)
_CONSENSUS = Statement(
    "INSERT INTO annotations (item_id, project_id, source, agent, result, status,"
    " is_gold_check, revision, is_current, details, created_at)"
    " VALUES (?, ?, 'consensus', ?, ?json, 'accepted', ?, 1, ?, ?json, ?)"
)
_REVIEW_STATE = Statement("UPDATE items SET review_state = ? WHERE id = ?")
_AUDIT = Statement(
    "INSERT INTO audit_log (at, actor_id, actor, action, project_id, target_type, target_id,"
    " details) VALUES (?, NULL, 'system', ?, ?, 'item', ?, ?json)"
)


def _accept(ids: Sequence[int]) -> Statement:
    marks = ", ".join("?" * len(ids))
    return Statement(f"UPDATE annotations SET status = 'accepted' WHERE id IN ({marks})")


def on_submitted(
    db: Raw, project: Any, item_id: int, n_done: int, votes: list[list[Any]] | None = None
) -> ItemConsensus | None:
    """Decide an item once it has ``overlap`` current human annotations; called by
    ``queue.submit`` on its own cursor, in the same transaction, with the item's
    new ``n_done`` (the submit's update of the item row holds that row's lock, so
    two submits never decide one item at once). Below the overlap nothing is
    read; then one query reads the item's current human annotations and any
    consensus already stored (then nothing is done), and the decision is written
    in at most four statements. ``votes``: those rows as PostgreSQL's submit
    function already read them (``[[id, source, agent, result], ...]``,
    migration 0027), so the query is not sent again."""
    if project.overlap < 2 or n_done < project.overlap:
        return None
    if votes is None:
        rows = [
            _Row(row[0], row[1], row[2], loads(row[3]))
            for row in db.all(_VOTES, (item_id, True, False))
        ]
    else:
        rows = [_Row(int(row[0]), row[1], row[2], row[3]) for row in votes]
    if len(rows) < project.overlap or any(a.source == "consensus" for a in rows):
        return None
    decision = decide_item(ontology_of(project), rows, project.overlap)
    if decision.outcome == "pending":
        return None
    now = db.stamp(utcnow())
    with db.batch():  # the decision's writes, in one round trip
        if decision.outcome != "escalate" and decision.result:
            details = {
                "method": METHOD,
                "parameters": {"overlap": project.overlap, "majority": "more than half"},
                "outcome": decision.outcome,
                "controls": decision.controls,
                "annotation_ids": [a.id for a in rows],
                "dissenters": list(decision.dissenters),
            }
            db.run(
                _CONSENSUS,
                (item_id, project.id, AGENT, dumps(decision.result), False, True,
                 dumps(details), now),
            )
        if decision.accepted_ids:
            db.run(_accept(decision.accepted_ids), decision.accepted_ids)
        if decision.outcome != "accept":
            state = "review" if decision.outcome == "review" else "escalated"
            db.run(_REVIEW_STATE, (state, item_id))
            audit_details = {
                "controls": decision.controls,
                "dissenters": list(decision.dissenters),
            }
            db.run(
                _AUDIT,
                (now, f"consensus.{decision.outcome}", project.id, item_id, dumps(audit_details)),
            )
    if decision.outcome == "escalate":
        webhooks.publish(
            db, project.id, "item.escalated", {"item_id": item_id, "controls": decision.controls}
        )
    return decision


def adjudicator(state: str | None) -> Permission:
    """The permission that settles an item in ``state``: review for items in
    review, manage for escalated ones (an expert's call)."""
    return Permission.manage if state == "escalated" else Permission.review


def adjudicate(
    session: Session, actor: Actor, item_id: int, result: dict[str, Any], *, note: str = ""
) -> Annotation:
    """Settle an item in review (reviewers) or escalated (managers): store the
    adjudicated consensus (``agent="adjudicated:<email>"``), replacing any majority
    consensus, accept the annotations that match it, and mark the item resolved."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    state = item.review_state
    project = authorize(session, actor, item.project_id, adjudicator(state))
    if state not in ("review", "escalated"):
        raise Conflict(
            f"item {item_id} is not awaiting review or escalation (state: {state or 'none'})"
        )
    ontology = ontology_of(project)
    ontology.validate(result, item.data)
    taken = rows_changed(
        session,
        update(Item)
        .where(Item.id == item_id, Item.review_state == state)
        .values(review_state="resolved"),
    )
    if not taken:
        raise Conflict(f"item {item_id} was adjudicated by someone else meanwhile")
    current = list(
        session.scalars(
            select(Annotation)
            .where(Annotation.item_id == item_id, Annotation.is_current.is_(True))
            .order_by(Annotation.id)
        )
    )
    previous = [a for a in current if a.source == "consensus"]
    if previous:
        session.execute(
            update(Annotation)
            .where(Annotation.id.in_([a.id for a in previous]))
            .values(is_current=False)
        )
    humans = [a for a in current if a.source == "human" and not a.is_gold_check]
    matching = [
        a.id for a in humans if all(gold_matches(ontology, a.result or {}, result).values())
    ]
    if matching:
        session.execute(
            update(Annotation).where(Annotation.id.in_(matching)).values(status="accepted")
        )
    last = previous[-1] if previous else None
    adjudicated = Annotation(
        item_id=item_id,
        project_id=project.id,
        user_id=actor.id,
        source="consensus",
        agent=f"adjudicated:{actor.email}",
        result=result,
        status="accepted",
        revision=last.revision + 1 if last else 1,
        supersedes_id=last.id if last else None,
        details={
            "method": "adjudication",
            "parameters": {"state": state},
            "note": note,
            "replaces": [a.id for a in previous],
            "agreeing_annotations": matching,
        },
        created_at=utcnow(),
    )
    session.add(adjudicated)
    session.flush()
    audit.record(
        session,
        actor,
        "item.adjudicate",
        project_id=project.id,
        target_type="item",
        target_id=item_id,
        details={"state": state, "note": note, "annotation_id": adjudicated.id},
    )
    return adjudicated
