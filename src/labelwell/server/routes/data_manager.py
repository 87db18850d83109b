"""The data manager's API: the item table (filters, sort, search, keyset
pages), the people's saved views and layouts, and bulk actions on a selection.
Managers of the project (and admins) only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, fits
from labelwell.server.deps import Ctx
from labelwell.server.schemas import Count, Page, PathId, Public, Strict
from labelwell.server.streaming import content_disposition, primed, stream_writer
from labelwell.store.tables import DataView
from labelwell.work.actors import Actor
from labelwell.work.data_manager import COLUMNS, Row, TableQuery, actions, assigning, views
from labelwell.work.data_manager import count as count_items
from labelwell.work.data_manager import page as table_page
from labelwell.work.data_manager.actions import Selection
from labelwell.work.data_manager.query import MAX_LIMIT, derive_labels
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of


def _derived_labels(project_id: PathId, ctx: Ctx) -> None:
    """Every route here may read the label columns: derive the stale ones first."""
    derive_labels(ctx.db, project_id)


router = APIRouter(tags=["data manager"], dependencies=[Depends(_derived_labels)])


class FilterIn(Strict):
    column: str = Field(max_length=40)
    op: str = Field(max_length=20)
    value: str | int | float | bool | None = None


class TableQueryIn(Strict):
    filters: list[FilterIn] = Field(default_factory=list, max_length=20)
    sort: str = Field("id", max_length=40)
    descending: bool = False
    search: str = Field("", max_length=500)

    def query(self) -> TableQuery:
        return TableQuery.of(self.model_dump())


class TablePageIn(TableQueryIn):
    cursor: str | None = Field(None, max_length=2000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class PredictionCell(Public):
    model: str
    score: float | None


class DataRowPublic(Public):
    id: int
    external_id: str | None
    preview: str = Field(description="The item's text values in one line, cut at 200 characters.")
    status: str
    annotations: int
    agreement: float | None
    consensus: str | None
    gold: bool
    predictions: list[PredictionCell]
    review_state: str | None
    last_annotator: str | None
    time_spent_ms: int | None
    created_at: datetime


def _row(row: Row) -> DataRowPublic:
    return DataRowPublic(
        id=row.id,
        external_id=row.external_id,
        preview=row.preview,
        status=row.status,
        annotations=row.annotations,
        agreement=row.agreement,
        consensus=row.consensus,
        gold=row.gold,
        predictions=[PredictionCell(model=m, score=s) for m, s in row.predictions],
        review_state=row.review_state,
        last_annotator=row.last_annotator,
        time_spent_ms=row.time_spent_ms,
        created_at=row.created_at,
    )


class ColumnPublic(Public):
    key: str
    kind: str
    operators: list[str]
    sortable: bool
    choices: list[str]


class LayoutIn(TableQueryIn):
    columns: list[str] = Field(min_length=1, max_length=len(COLUMNS))


class LayoutPublic(Public):
    filters: list[dict[str, Any]]
    sort: str
    descending: bool
    search: str
    columns: list[str]


class ViewIn(LayoutIn):
    name: str = Field(min_length=1, max_length=200)


class ViewPublic(Public):
    id: int
    name: str
    state: LayoutPublic
    updated_at: datetime


def _view(view: DataView) -> ViewPublic:
    return ViewPublic(
        id=view.id,
        name=view.name,
        state=LayoutPublic.model_validate(view.state),
        updated_at=view.updated_at,
    )


class SelectionIn(Strict):
    """The ticked ``item_ids``, or (when absent) every item ``filter`` selects."""

    item_ids: list[int] | None = Field(None, max_length=actions.MAX_IDS)
    filter: TableQueryIn | None = None

    def selection(self) -> Selection:
        query = self.filter.query() if self.filter is not None else None
        ids = tuple(self.item_ids) if self.item_ids is not None else None
        if ids is None and query is None:
            raise InvalidInput("item_ids: give item_ids or a filter", field="item_ids")
        return Selection(ids, query)


class ActionIn(SelectionIn):
    result: dict[str, Any] | None = Field(
        None, description="gold_set: the gold answer the selected items get."
    )
    confirm: int | None = Field(
        None, description="delete: the number of items selected, as shown to the person."
    )
    options: dict[str, Any] | None = Field(
        None, description="prelabel: the prelabel job's options (model, url, batch_size)."
    )
    user_ids: list[int] | None = Field(
        None,
        max_length=assigning.MAX_ASSIGNEES,
        description="assign: the annotators (project members) to assign the selection to;"
        " unassign: whom to take it from (everyone when absent).",
    )


class ExportIn(SelectionIn):
    format: str = Field("jsonl", max_length=100)


class OutcomePublic(Public):
    action: str
    selected: int
    changed: int
    skipped: int
    job_id: int | None = Field(None, description="prelabel: the job queued (GET /jobs/{id}).")


@router.get("/projects/{project_id}/data/columns", response_model=Page[ColumnPublic])
def columns(project_id: PathId, ctx: Ctx) -> Page[ColumnPublic]:
    """The table's columns: what each sorts and filters by."""
    with ctx.db.read_session() as s:
        authorize(s, ctx.actor, project_id, Permission.manage)
    data = [
        ColumnPublic(
            key=c.key,
            kind=c.kind,
            operators=list(c.operators),
            sortable=c.sortable,
            choices=list(c.choices),
        )
        for c in COLUMNS.values()
    ]
    return Page(data=data, count=len(data))


@router.post("/projects/{project_id}/data/items", response_model=Page[DataRowPublic])
def items(project_id: PathId, body: TablePageIn, ctx: Ctx) -> Page[DataRowPublic]:
    """A page of the item table; pass ``next_cursor`` back as ``cursor``."""
    with ctx.db.read_session() as s:
        table = table_page(
            s, ctx.actor, project_id, body.query(), cursor=body.cursor, limit=body.limit
        )
        data = [_row(r) for r in table.rows]
    return Page(data=data, count=len(data), next_cursor=table.next_cursor)


def first_page(session: Session, actor: Actor, project_id: int, state: dict[str, Any]) -> Any:
    """The first page (and its ``limit``) of the table a layout ``state``
    shows, as ``POST /data/items`` answers it, so that the page shows its rows
    without a request of its own; None when the saved layout no longer reads
    (the page then asks). ``session``: a :func:`labelled_read` one."""
    try:
        query = TableQuery.of(state)
    except InvalidInput:
        return None
    limit = TablePageIn.model_fields["limit"].default
    table = table_page(session, actor, project_id, query, limit=limit)
    data = [_row(r) for r in table.rows]
    answer: Page[DataRowPublic] = Page(data=data, count=len(data), next_cursor=table.next_cursor)
    return {"limit": limit, "page": answer.model_dump(mode="json")}


@router.post("/projects/{project_id}/data/count", response_model=Count)
def count(project_id: PathId, body: TableQueryIn, ctx: Ctx) -> Count:
    """How many items the filters and search select."""
    with ctx.db.read_session() as s:
        return Count(count=count_items(s, ctx.actor, project_id, body.query()))


@router.get("/projects/{project_id}/data/layout", response_model=LayoutPublic)
def get_layout(project_id: PathId, ctx: Ctx) -> LayoutPublic:
    """The caller's table layout: columns, filters, sort and search they last used."""
    with ctx.db.read_session() as s:
        return LayoutPublic.model_validate(views.layout(s, ctx.actor, project_id))


@router.put("/projects/{project_id}/data/layout", response_model=LayoutPublic)
def put_layout(project_id: PathId, body: LayoutIn, ctx: Ctx) -> LayoutPublic:
    with ctx.db.session() as s:
        view = views.save(s, ctx.actor, project_id, views.LAYOUT, body.query(), body.columns)
        return LayoutPublic.model_validate(view.state)


@router.get("/projects/{project_id}/data/views", response_model=Page[ViewPublic])
def list_views(project_id: PathId, ctx: Ctx) -> Page[ViewPublic]:
    """The caller's saved views of the table, by name."""
    with ctx.db.read_session() as s:
        data = [_view(v) for v in views.list_views(s, ctx.actor, project_id)]
    return Page(data=data, count=len(data))


@router.put("/projects/{project_id}/data/views", response_model=ViewPublic)
def save_view(project_id: PathId, body: ViewIn, ctx: Ctx) -> ViewPublic:
    """Save the view ``name`` (replacing the caller's view of that name)."""
    with ctx.db.session() as s:
        return _view(views.save(s, ctx.actor, project_id, body.name, body.query(), body.columns))


@router.delete(
    "/projects/{project_id}/data/views/{view_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_view(project_id: PathId, view_id: PathId, ctx: Ctx) -> Response:
    with ctx.db.session() as s:
        views.delete(s, ctx.actor, project_id, view_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


Action = Literal[
    "assign", "unassign", "gold_set", "gold_clear", "review", "requeue", "delete", "prelabel"
]


@router.post("/projects/{project_id}/data/actions/{action}", response_model=OutcomePublic)
def act(project_id: PathId, action: Action, body: ActionIn, ctx: Ctx) -> OutcomePublic:
    """Act on the selection: ``assign`` (to ``user_ids``: the queue serves them
    these items first and only them), ``unassign``, ``gold_set`` (with
    ``result``), ``gold_clear``, ``review``, ``requeue``, ``delete`` (with
    ``confirm``) or ``prelabel`` (queues the job for ``labelwell worker``); each
    audited."""
    selection = body.selection()
    with ctx.db.session() as s:
        if action == "assign":
            if not body.user_ids:
                raise InvalidInput("user_ids: the annotators to assign to", field="user_ids")
            outcome = assigning.assign(s, ctx.actor, project_id, selection, body.user_ids)
        elif action == "unassign":
            outcome = assigning.unassign(s, ctx.actor, project_id, selection, body.user_ids)
        elif action == "gold_set":
            if body.result is None:
                raise InvalidInput("result: the gold answer to set", field="result")
            outcome = actions.set_gold(s, ctx.actor, project_id, selection, body.result)
        elif action == "gold_clear":
            outcome = actions.clear_gold(s, ctx.actor, project_id, selection)
        elif action == "review":
            outcome = actions.send_to_review(s, ctx.actor, project_id, selection)
        elif action == "requeue":
            outcome = actions.requeue(s, ctx.actor, project_id, selection)
        elif action == "prelabel":
            outcome = actions.prelabel(s, ctx.actor, project_id, selection, body.options)
        else:
            if body.confirm is None:
                raise InvalidInput(
                    "confirm: the number of items to delete, as shown", field="confirm"
                )
            outcome = actions.delete_items(s, ctx.actor, project_id, selection, body.confirm)
    return OutcomePublic(
        action=outcome.action,
        selected=outcome.selected,
        changed=outcome.changed,
        skipped=outcome.skipped,
        job_id=outcome.job_id,
    )


@router.post(
    "/projects/{project_id}/data/export",
    response_class=StreamingResponse,
    responses={200: {"description": "The file, in its format's media type"}},
)
def export(project_id: PathId, body: ExportIn, ctx: Ctx) -> StreamingResponse:
    """Stream the selected items with their labels in a registered format."""
    selection = body.selection()
    make_exporter = EXPORTERS.get(body.format)
    with ctx.db.read_session() as s:
        project = authorize(s, ctx.actor, project_id, Permission.manage)
        ontology, name = ontology_of(project), project.name
        actions.conditions(s, project_id, selection)  # a bad filter: 422 before any byte
    exporter = make_exporter()
    ok, reason = fits(exporter, ontology)
    if not ok:
        raise InvalidInput(reason, field="format")
    db, actor = ctx.db, ctx.actor

    def write(out: BinaryIO) -> None:
        with db.read_session() as s:
            actions.export(s, actor, project_id, selection, exporter, out)

    filename = f"{name}-selection.{exporter.extension.lstrip('.')}"
    return StreamingResponse(
        primed(stream_writer(write)),
        media_type=exporter.media_type,
        headers={"Content-Disposition": content_disposition(filename)},
    )
