"""Storage connections over the API: credentials go in, never out (only the
names of the keys that are set)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from labelwell.server.schemas import Public
from labelwell.store.tables import StorageConnection
from labelwell.work.export import ExportSelection


class StorageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100)
    url: str = Field(..., min_length=1, max_length=1000, examples=["s3://bucket/prefix"])
    options: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(default_factory=dict)


class StoragePublic(Public):
    id: int
    project_id: int
    name: str
    url: str
    options: dict[str, Any]
    #: which credential keys are set, never their values
    credentials_set: list[str]
    synced_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, conn: StorageConnection) -> StoragePublic:
        return cls(
            id=conn.id,
            project_id=conn.project_id,
            name=conn.name,
            url=conn.url,
            options=dict(conn.options or {}),
            credentials_set=sorted(conn.credentials or {}),
            synced_at=conn.synced_at,
            created_at=conn.created_at,
        )


class SyncPublic(Public):
    connection: str
    listed: int
    added_objects: int
    added_items: int
    import_id: int | None


class StorageExport(ExportSelection):
    url: str = Field(..., min_length=1, max_length=1000, examples=["s3://bucket/exports/"])


class StorageExportPublic(Public):
    url: str
    items: int
    bytes: int


class StorageImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., min_length=1, max_length=1000, examples=["s3://bucket/in/items.jsonl"])
    format: str | None = Field(None, max_length=100)
