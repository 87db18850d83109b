"""A comment thread per item, with ``@email`` mentions that notify.

Who reads a thread: anyone who may open the item
(:func:`labelwell.work.item_history.open_item`). Managers read every comment.
Raters read everyone's comments unless the project is blind for them
(:func:`labelwell.work.policies.blind_for_raters`: blind, or with gold); then
their own and those that mention them, the same on gold and regular items, so a
thread never tells gold apart nor shows others' labels in a blind project.

A mention names a member of the project by email; it counts as unread for that
person until they open their mentions (:func:`read_mentions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Comment, Item, Member, Mention, Project, User, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.item_history import open_item
from labelwell.work.policies import blind_for_raters, project_role

MAX_BODY = 20000
#: ``@`` then an email address; the address ends before trailing punctuation
MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


@dataclass(frozen=True)
class CommentView:
    id: int
    item_id: int
    project_id: int
    author: str
    body: str
    mentions: list[str]
    created_at: datetime


def mentioned(body: str) -> list[str]:
    """The addresses a comment mentions, in order, once each (lower case)."""
    seen: dict[str, None] = {}
    for m in MENTION.finditer(body):
        seen.setdefault(m.group(1).lower(), None)
    return list(seen)


def _readable(session: Session, actor: Actor, item: Item) -> ColumnElement[bool] | None:
    """The rule on which comments of ``item`` the caller reads; None for all."""
    if project_role(session, actor, item.project_id) == "manager":
        return None
    project = session.get(Project, item.project_id)
    assert project is not None
    if not blind_for_raters(session, project):
        return None
    to_me = exists().where(Mention.comment_id == Comment.id, Mention.user_id == actor.id)
    return or_(Comment.author_id == actor.id, to_me)


def _views(session: Session, rows: list[Comment]) -> list[CommentView]:
    ids = [c.id for c in rows]
    authors = {c.author_id for c in rows if c.author_id is not None}
    emails = (
        {
            uid: email
            for uid, email in session.execute(
                select(User.id, User.email).where(User.id.in_(authors))
            )
        }
        if authors
        else {}
    )
    names: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for comment_id, email in session.execute(
            select(Mention.comment_id, User.email)
            .join(User, User.id == Mention.user_id)
            .where(Mention.comment_id.in_(ids))
            .order_by(User.email)
        ):
            names[comment_id].append(email)
    return [
        CommentView(
            c.id,
            c.item_id,
            c.project_id,
            emails.get(c.author_id, "") if c.author_id is not None else "",
            c.body,
            names[c.id],
            c.created_at,
        )
        for c in rows
    ]


def list_comments(session: Session, actor: Actor, item_id: int) -> list[CommentView]:
    """The item's thread as the caller may read it, oldest first."""
    item = open_item(session, actor, item_id)
    query = select(Comment).where(Comment.item_id == item.id)
    rule = _readable(session, actor, item)
    if rule is not None:
        query = query.where(rule)
    return _views(session, list(session.scalars(query.order_by(Comment.id))))


def add_comment(session: Session, actor: Actor, item_id: int, body: str) -> CommentView:
    """Post to the item's thread; each ``@email`` of a project member is notified."""
    item = open_item(session, actor, item_id)
    text = body.strip()
    if not text:
        raise InvalidInput("body: a comment needs some text", field="body")
    if len(text) > MAX_BODY:
        raise InvalidInput(f"body: at most {MAX_BODY} characters", field="body")
    emails = mentioned(text)
    people: dict[str, int] = {}
    if emails:
        people = {
            email.lower(): uid
            for uid, email in session.execute(
                select(User.id, User.email)
                .join(Member, and_(Member.user_id == User.id, Member.project_id == item.project_id))
                .where(func.lower(User.email).in_(emails), User.is_active.is_(True))
            )
        }
        unknown = [e for e in emails if e not in people]
        if unknown:
            raise InvalidInput(
                f"body: {', '.join('@' + e for e in unknown)} is not a member of this project",
                field="body",
            )
    comment = Comment(
        item_id=item.id,
        project_id=item.project_id,
        author_id=actor.id,
        body=text,
        created_at=utcnow(),
    )
    session.add(comment)
    session.flush()
    for uid in people.values():
        if uid != actor.id:
            session.add(Mention(comment_id=comment.id, user_id=uid))
    session.flush()
    audit.record(
        session,
        actor,
        "comment.add",
        project_id=item.project_id,
        target_type="item",
        target_id=item.id,
        details={"comment_id": comment.id, "mentions": sorted(people)},
    )
    return _views(session, [comment])[0]


@dataclass(frozen=True)
class MentionView:
    comment: CommentView
    seen: bool


def unread_mentions(session: Session, actor: Actor) -> int:
    """How many comments mention the caller that they have not opened yet."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Mention)
            .where(Mention.user_id == actor.id, Mention.seen_at.is_(None))
        )
        or 0
    )


def list_mentions(session: Session, actor: Actor, *, limit: int = 50) -> list[MentionView]:
    """The comments that mention the caller, newest first."""
    rows = list(
        session.execute(
            select(Comment, Mention.seen_at)
            .join(Mention, Mention.comment_id == Comment.id)
            .where(Mention.user_id == actor.id)
            .order_by(Comment.id.desc())
            .limit(limit)
        )
    )
    views = _views(session, [c for c, _ in rows])
    return [MentionView(v, seen is not None) for v, (_, seen) in zip(views, rows, strict=True)]


def read_mentions(session: Session, actor: Actor) -> int:
    """Mark the caller's mentions read; returns how many were unread."""
    result = session.execute(
        update(Mention)
        .where(Mention.user_id == actor.id, Mention.seen_at.is_(None))
        .values(seen_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
