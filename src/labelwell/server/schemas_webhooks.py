"""Webhooks over the API: the signing secret goes out once, when a hook is made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from labelwell.server.schemas import Public
from labelwell.store.tables import Webhook, WebhookDelivery
from labelwell.work.webhooks import events_of


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., min_length=1, max_length=2000, examples=["https://ci.example/hooks"])
    events: list[str] = Field(..., min_length=1, max_length=20, examples=[["item.completed"]])


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[str] | None = Field(None, min_length=1, max_length=20)
    active: bool | None = None


class WebhookPublic(Public):
    id: int
    project_id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, hook: Webhook) -> WebhookPublic:
        return cls(
            id=hook.id,
            project_id=hook.project_id,
            url=hook.url,
            events=events_of(hook),
            active=hook.active,
            created_at=hook.created_at,
        )


class WebhookCreated(WebhookPublic):
    #: the signing secret: shown this once, stored encrypted
    secret: str


class DeliveryPublic(Public):
    id: int
    webhook_id: int
    event: str
    event_id: str
    state: str
    attempts: int
    response_code: int | None
    latency_ms: int | None
    error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryPublic:
        return cls(
            id=d.id,
            webhook_id=d.webhook_id,
            event=d.event,
            event_id=d.event_id,
            state=d.state,
            attempts=d.attempts,
            response_code=d.response_code,
            latency_ms=d.latency_ms,
            error=d.error,
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            payload=dict(d.payload or {}),
        )
