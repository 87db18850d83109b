"""Project webhooks (:mod:`labelwell.work.webhooks`): managers add, change,
test and remove them and read their deliveries; redeliver by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId, page_of
from labelwell.server.schemas_webhooks import (
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from labelwell.work import webhooks

router = APIRouter(tags=["webhooks"])

BASE = "/projects/{project_id}/webhooks"


@router.get(BASE, response_model=Page[WebhookPublic])
def list_webhooks(project_id: PathId, ctx: Ctx) -> Page[WebhookPublic]:
    """The project's webhooks (never their secrets)."""
    with ctx.db.read_session() as s:
        return page_of(webhooks.listing(s, ctx.actor, project_id), WebhookPublic.of)


@router.post(BASE, response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(project_id: PathId, body: WebhookCreate, ctx: Ctx) -> WebhookCreated:
    """Add a webhook; the answer carries its signing secret, this once."""
    with ctx.db.session() as s:
        made = webhooks.create(s, ctx.actor, project_id, body.url, body.events, ctx.settings.home)
        public = WebhookPublic.of(made.hook)
    return WebhookCreated(**public.model_dump(), secret=made.secret)


@router.patch(BASE + "/{webhook_id}", response_model=WebhookPublic)
def update_webhook(
    project_id: PathId, webhook_id: PathId, body: WebhookUpdate, ctx: Ctx
) -> WebhookPublic:
    """Change a webhook's URL or events, or pause it (``active: false``)."""
    with ctx.db.session() as s:
        hook = webhooks.update_hook(
            s,
            ctx.actor,
            project_id,
            webhook_id,
            url=body.url,
            events=body.events,
            active=body.active,
        )
        return WebhookPublic.of(hook)


@router.delete(BASE + "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(project_id: PathId, webhook_id: PathId, ctx: Ctx) -> Response:
    """Remove a webhook and its delivery log."""
    with ctx.db.session() as s:
        webhooks.delete(s, ctx.actor, project_id, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(BASE + "/{webhook_id}/test", response_model=DeliveryPublic)
def test_webhook(project_id: PathId, webhook_id: PathId, ctx: Ctx) -> DeliveryPublic:
    """Send a signed ``ping`` now (at most 10 s) and answer with its delivery."""
    delivery = webhooks.test(ctx.db, ctx.actor, project_id, webhook_id, ctx.settings.home)
    return DeliveryPublic.of(delivery)


@router.get(BASE + "/{webhook_id}/deliveries", response_model=Page[DeliveryPublic])
def list_deliveries(
    project_id: PathId,
    webhook_id: PathId,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Page[DeliveryPublic]:
    """A webhook's deliveries, newest first (``before``: an id, for the next page)."""
    with ctx.db.read_session() as s:
        rows = webhooks.deliveries(s, ctx.actor, project_id, webhook_id, limit=limit, before=before)
        data = [DeliveryPublic.of(d) for d in rows]
    cursor = str(data[-1].id) if len(data) == limit else None
    return Page(data=data, count=len(data), next_cursor=cursor)


@router.post(
    BASE + "/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic
)
def redeliver(
    project_id: PathId, webhook_id: PathId, delivery_id: PathId, ctx: Ctx
) -> DeliveryPublic:
    """Send a delivery's payload again now, as a new delivery with the same event id."""
    delivery = webhooks.redeliver(
        ctx.db, ctx.actor, project_id, webhook_id, delivery_id, ctx.settings.home
    )
    return DeliveryPublic.of(delivery)
