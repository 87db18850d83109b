"""Annotations after submit (revisions, reviews, visibility), predictions and gold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, true, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.store.tables import (
    Annotation,
    Assignment,
    GoldAnswer,
    Item,
    Prediction,
    Project,
    Review,
    utcnow,
)
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.events import REVIEWED, publish
from labelwell.work.policies import (
    Audience,
    LabelScope,
    Permission,
    audience,
    authorize,
    current_for,
    label_scope,
    project_role,
)
from labelwell.work.project_settings import settings_of
from labelwell.work.projects import ontology_of

REVIEW_DECISIONS = ("accept", "reject", "fix")


def _item_in_project(session: Session, project_id: int, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None or item.project_id != project_id:
        raise NotFound(f"no item {item_id} in project {project_id}")
    return item


def get_annotation(session: Session, actor: Actor, annotation_id: int) -> Annotation:
    """An annotation the actor may see: their own, or others' within their
    :func:`~labelwell.work.policies.label_scope` (never on a gold item unless
    manager)."""
    annotation = session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFound(f"no annotation {annotation_id}")
    project = authorize(session, actor, annotation.project_id, Permission.view)
    if annotation.user_id != actor.id:
        role = project_role(session, actor, project.id)
        scope = label_scope(session, role, project)
        worked = scope in (LabelScope.worked, LabelScope.not_worked) and _worked_on(
            session, actor, annotation.item_id
        )
        if (
            scope is LabelScope.own
            or (scope is LabelScope.worked and not worked)
            or (scope is LabelScope.not_worked and worked)
            or (not Audience(role).sees_gold and _on_gold_item(session, annotation.item_id))
        ):
            raise NotFound(f"no annotation {annotation_id}")
    return annotation


def _worked_on(session: Session, actor: Actor, item_id: int) -> bool:
    return (
        session.scalar(
            select(Assignment.id)
            .where(Assignment.user_id == actor.id, Assignment.item_id == item_id)
            .limit(1)
        )
        is not None
    )


def _on_gold_item(session: Session, item_id: int) -> bool:
    return bool(session.scalar(select(Item.is_gold).where(Item.id == item_id)))


def list_annotations(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    after: int = 0,
    limit: int = 100,
    item_id: int | None = None,
    include_history: bool = False,
) -> list[Annotation]:
    project = authorize(session, actor, project_id, Permission.view)
    query = select(Annotation).where(
        Annotation.project_id == project_id,
        Annotation.id > after,
        visible_to(session, actor, project, current=not include_history),
    )
    if item_id is not None:
        query = query.where(Annotation.item_id == item_id)
    return list(session.scalars(query.order_by(Annotation.id).limit(limit)))


def visible_to(
    session: Session, actor: Actor, project: Project, *, current: bool = True
) -> ColumnElement[bool]:
    """The annotations of ``project`` that ``actor`` may see: their own, others'
    within their :func:`~labelwell.work.policies.label_scope`, others' on gold
    items for managers only; with ``current``, the current ones in the actor's
    eyes (:func:`~labelwell.work.policies.current_for`). Every list of
    annotations (the API's, the review queue, the review page) filters by it."""
    role = project_role(session, actor, project.id)
    seen = Audience(role)
    rules: list[ColumnElement[bool]] = []
    if current:
        rules.append(current_for(seen, actor.id))
    scope = label_scope(session, role, project)
    worked = select(Assignment.item_id).where(
        Assignment.user_id == actor.id, Assignment.project_id == project.id
    )
    if scope is LabelScope.own:
        rules.append(Annotation.user_id == actor.id)
    elif scope is LabelScope.worked:
        rules.append(Annotation.item_id.in_(worked))
    elif scope is LabelScope.not_worked:
        rules.append(or_(Annotation.user_id == actor.id, Annotation.item_id.not_in(worked)))
    if not seen.sees_gold:
        # Everyone answers a gold item: others' answers there would tell it apart.
        gold = select(Item.id).where(Item.project_id == project.id, Item.is_gold.is_(True))
        rules.append(or_(Annotation.user_id == actor.id, Annotation.item_id.not_in(gold)))
    return and_(true(), *rules)


def revise_annotation(
    session: Session,
    actor: Actor,
    annotation_id: int,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None = None,
) -> Annotation:
    """Write a new revision; the earlier one is kept (``is_current`` false)."""
    old = get_annotation(session, actor, annotation_id)
    project = authorize(session, actor, old.project_id, Permission.view)
    role = project_role(session, actor, project.id)
    if old.user_id != actor.id and role != "manager":
        raise NotFound(f"no annotation {annotation_id} of yours")
    if not old.is_current:
        raise Conflict(f"annotation {annotation_id} has a newer revision; edit that one")
    if role != "manager":
        closed = own_edit_closed(session, project, old)
        if closed:
            raise Conflict(f"annotation {annotation_id}: {closed}")
    return new_revision(
        session,
        actor,
        project,
        old,
        result,
        time_spent_ms=time_spent_ms,
        status=old.status,
        note={"edited_by": actor.email},
        action="annotation.revise",
    )


def new_revision(
    session: Session,
    actor: Actor,
    project: Project,
    old: Annotation,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None,
    status: str,
    note: dict[str, Any],
    action: str,
) -> Annotation:
    """Store ``result`` (checked against the ontology) as the next revision of
    ``old``, which is kept with ``is_current`` false; the time spent adds up,
    ``note`` joins the details, and ``action`` is audited."""
    item = session.get(Item, old.item_id)
    assert item is not None
    ontology_of(project).validate(result, item.data)
    session.execute(update(Annotation).where(Annotation.id == old.id).values(is_current=False))
    new = Annotation(
        item_id=old.item_id,
        project_id=old.project_id,
        user_id=old.user_id,
        assignment_id=old.assignment_id,
        source=old.source,
        agent=old.agent,
        result=result,
        guideline_version=old.guideline_version,
        time_spent_ms=(old.time_spent_ms or 0) + (time_spent_ms or 0),
        status=status,
        is_gold_check=old.is_gold_check,
        revision=old.revision + 1,
        supersedes_id=old.id,
        is_current=True,
        details={**(old.details or {}), **note},
        created_at=utcnow(),
    )
    audit.created(
        session,
        actor,
        action,
        new,
        target_type="annotation",
        project_id=project.id,
        details={"supersedes": old.id, "revision": new.revision},
    )
    return new


def own_edit_closed(
    session: Session, project: Project, annotation: Annotation, now: datetime | None = None
) -> str | None:
    """Why the annotator may no longer edit their own ``annotation`` (the project's
    ``edit_own_minutes`` after they submitted it), or ``None`` while they may.
    The same for gold and regular items, so the answer never tells gold apart."""
    minutes = settings_of(project).edit_own_minutes
    if minutes is None:
        return None
    if minutes == 0:
        return "this project does not let annotators edit their submitted labels"
    first = annotation
    while first.supersedes_id is not None:  # the window runs from the first submission
        earlier = session.get(Annotation, first.supersedes_id)
        if earlier is None:
            break
        first = earlier
    if (now or utcnow()) - first.created_at > timedelta(minutes=minutes):
        return f"labels can be edited for {minutes} minutes after they are submitted"
    return None


def revisions(session: Session, actor: Actor, annotation_id: int) -> list[Annotation]:
    current = get_annotation(session, actor, annotation_id)
    chain = [current]
    while chain[-1].supersedes_id is not None:
        earlier = session.get(Annotation, chain[-1].supersedes_id)
        if earlier is None:
            break
        chain.append(earlier)
    return chain


def review_annotation(
    session: Session,
    actor: Actor,
    annotation_id: int,
    decision: str,
    *,
    comment: str = "",
    result: dict[str, Any] | None = None,
) -> Review:
    annotation = session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFound(f"no annotation {annotation_id}")
    project = authorize(session, actor, annotation.project_id, Permission.review)
    if (
        annotation.user_id != actor.id
        and not audience(session, actor, project.id).sees_gold
        and _on_gold_item(session, annotation.item_id)
    ):
        # gold checks are scored against the gold answer, not reviewed by raters
        raise NotFound(f"no annotation {annotation_id}")
    if decision not in REVIEW_DECISIONS:
        raise InvalidInput(
            f"decision: must be one of {', '.join(REVIEW_DECISIONS)}", field="decision"
        )
    if decision == "fix" and result is None:
        raise InvalidInput("result: a fix needs the corrected result", field="result")
    if decision != "fix" and result is not None:
        raise InvalidInput("result: only a fix carries a result", field="result")
    fixed_id = None
    if decision == "fix":
        assert result is not None
        item = session.get(Item, annotation.item_id)
        assert item is not None
        ontology_of(project).validate(result, item.data)
        fixed = Annotation(
            item_id=annotation.item_id,
            project_id=project.id,
            user_id=actor.id,
            source="human",
            agent=actor.email,
            result=result,
            status="accepted",
            supersedes_id=annotation.id,
            revision=annotation.revision + 1,
            details={"fix_of": annotation.id},
        )
        session.execute(
            update(Annotation).where(Annotation.id == annotation.id).values(is_current=False)
        )
        session.add(fixed)
        session.flush()
        fixed_id = fixed.id
    new_status = {"accept": "accepted", "reject": "rejected", "fix": "rejected"}[decision]
    session.execute(
        update(Annotation).where(Annotation.id == annotation.id).values(status=new_status)
    )
    review = Review(
        annotation_id=annotation.id,
        item_id=annotation.item_id,
        reviewer_id=actor.id,
        decision=decision,
        comment=comment,
        fixed_annotation_id=fixed_id,
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        actor,
        f"review.{decision}",
        project_id=project.id,
        target_type="annotation",
        target_id=annotation.id,
        details={"comment": comment, "fixed_annotation_id": fixed_id},
    )
    decided = {"item_id": annotation.item_id, "annotation_id": annotation.id, "decision": decision}
    if _on_gold_item(session, annotation.item_id):
        decided["gold"] = True
    publish(session, project.id, REVIEWED, decided)
    return review


def add_predictions(
    session: Session, actor: Actor, project_id: int, predictions: list[dict[str, Any]]
) -> int:
    """Store model (or labeling-function, or synthetic) output, validated."""
    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    rows = []
    now = utcnow()
    for index, p in enumerate(predictions):
        where = f"predictions[{index}]"
        item_id = p.get("item_id")
        if not isinstance(item_id, int):
            raise InvalidInput(f"{where}.item_id: must be an integer", field=f"{where}.item_id")
        item = _item_in_project(session, project_id, item_id)
        source = p.get("source", "model")
        if source not in ("model", "labeling_function", "synthetic"):
            raise InvalidInput(
                f"{where}.source: must be model, labeling_function or synthetic",
                field=f"{where}.source",
            )
        model_name = p.get("model_name")
        if not isinstance(model_name, str) or not model_name:
            raise InvalidInput(f"{where}.model_name: required", field=f"{where}.model_name")
        result = p.get("result")
        if not isinstance(result, dict):
            raise InvalidInput(f"{where}.result: must be an object", field=f"{where}.result")
        try:
            ontology.validate(result, item.data)
        except InvalidInput as exc:
            field = f"{where}.result.{exc.field}" if exc.field else f"{where}.result"
            raise InvalidInput(f"{where}.result: {exc.message}", field=field) from None
        score = p.get("score")
        if score is not None and not isinstance(score, int | float):
            raise InvalidInput(f"{where}.score: must be a number", field=f"{where}.score")
        rows.append(
            {
                "item_id": item_id,
                "project_id": project_id,
                "source": source,
                "model_name": model_name,
                "model_version": str(p.get("model_version", "")),
                "result": result,
                "score": score,
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(Prediction), rows)
    audit.record(
        session, actor, "predictions.add", project_id=project_id, details={"count": len(rows)}
    )
    return len(rows)


def list_predictions(session: Session, actor: Actor, item_id: int) -> list[Prediction]:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    authorize(session, actor, item.project_id, Permission.review)
    return list(
        session.scalars(
            select(Prediction).where(Prediction.item_id == item_id).order_by(Prediction.id)
        )
    )


def set_gold(session: Session, actor: Actor, item_id: int, result: dict[str, Any]) -> GoldAnswer:
    """Make ``item_id`` a gold item with this answer (managers only)."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    project = authorize(session, actor, item.project_id, Permission.manage)
    ontology_of(project).validate(result, item.data)
    gold = session.get(GoldAnswer, item_id)
    if gold is None:
        gold = GoldAnswer(
            item_id=item_id, project_id=project.id, result=result, created_by=actor.id
        )
        session.add(gold)
    else:
        gold.result = result
    if not item.is_gold:
        if item.n_active > 0:
            raise Conflict(
                f"item {item_id} is already being labeled; gold items must be "
                "fresh so they stay hidden"
            )
        item.is_gold = True
    session.flush()
    audit.record(
        session, actor, "gold.set", project_id=project.id, target_type="item", target_id=item_id
    )
    return gold


def get_gold(session: Session, actor: Actor, item_id: int) -> GoldAnswer:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    authorize(session, actor, item.project_id, Permission.manage)
    gold = session.get(GoldAnswer, item_id)
    if gold is None:
        raise NotFound(f"item {item_id} has no gold answer")
    return gold
