"""Where an item's media files are: its references and, for a local one, the
file under ``$LABELWELL_HOME/media``; a URL reference (``s3://bucket/key``)
copied once into a cache through the project's storage connection
(:mod:`labelwell.work.storage`), for the media tools that read whole files
(pyramids, superpixels, waveforms, frames) and for the import's
``import_pyramids`` job, which fetches large images into the same cache."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.store.tables import Item, Project
from labelwell.work import items, storage
from labelwell.work.actors import Actor
from labelwell.work.project_settings import settings_of

MEDIA_KEYS = frozenset({"image", "audio", "video", "url", "file"})


def media_refs(item: Item) -> list[str]:
    """An item's media references: ``item.media``, else string data values
    naming a file (the demo's ``image``)."""
    if item.media:
        return [str(m) for m in item.media]
    return [v for k, v in sorted(item.data.items()) if isinstance(v, str) and k in MEDIA_KEYS]


def resolve_media(root: Path, ref: str) -> Path:
    """``ref`` as a file under ``root``; NotFound for anything outside it."""
    root = root.resolve()
    candidate = Path(ref)
    path = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("no such media file")
    return path


def item_media_file(session: Session, actor: Actor, item_id: int, index: int, home: Path) -> Path:
    """Media ``index`` of an item the actor may see (``items.get_item``), as a
    local file."""
    item = items.get_item(session, actor, item_id)
    refs = media_refs(item)
    if index >= len(refs):
        raise NotFound(f"item {item_id} has no media {index}")
    ref = refs[index]
    if "://" not in ref:
        return resolve_media(home / "media", ref)
    return cached_media(session, item.project_id, ref, home)


def cached_media_path(home: Path, project_id: int, url: str) -> Path:
    """Where the copy of the object at ``url`` lives in the home's media cache
    (keyed by the project and the URL), fetched or not."""
    suffix = Path(url.split("?", 1)[0]).suffix[:10]
    name = hashlib.sha256(f"{project_id}|{url}".encode()).hexdigest()[:32] + suffix
    return home / "cache" / "media" / name


def cached_media(session: Session, project_id: int, url: str, home: Path) -> Path:
    """The object at ``url`` as a local file: its copy in the media cache,
    fetched once (streamed, never whole in memory) through the project's
    connection holding the URL. NotFound for a URL under no connection, a
    missing object or one reachable only by a signed URL (``presign``)."""
    path = cached_media_path(home, project_id, url)
    if path.is_file():
        return path
    media = storage.open_media(session, project_id, url)
    if media.chunks is None:
        raise NotFound(f"{url} is only reachable by a signed URL")
    path.parent.mkdir(parents=True, exist_ok=True)
    # one name per thread: two requests (or the import's job) may fetch it at once
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with tmp.open("wb") as fh:
            for chunk in media.chunks:
                fh.write(chunk)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a read cut off leaves no partial copy
    return path


def model_server(session: Session, actor: Actor, item_id: int, setting: str, missing: str) -> str:
    """The model server the item's project names in ``settings.<setting>`` (a
    speech or a segmentation server), for someone who may see the item; a
    clear error saying ``missing`` when the project names none."""
    item = items.get_item(session, actor, item_id)
    project = session.get(Project, item.project_id)
    assert project is not None
    url: str | None = getattr(settings_of(project), setting)
    if not url:
        raise InvalidInput(
            f"project {project.name!r}: {missing} (settings.{setting})", field=f"settings.{setting}"
        )
    return url
