"""Storage connections: a project's bucket or folder prefix, read and written
through fsspec (``s3://``, ``gs://``, ``az://``, ``file://``, ``https://``).

A connection is the only way the server reaches outside its own disk: media,
syncs, imports and exports name a URL, and the URL must lie under one of the
project's connections (:func:`connection_for`), so an item cannot make the
server fetch an arbitrary address. Credentials stay in the store; responses say
only which keys are set, and errors name the URL, never a secret. ``file://``
prefixes and a custom ``endpoint_url`` point the server at its own disk or
network, so only an admin may set them, and an ``https://`` prefix too (it
names any host); redirects are never followed."""

from __future__ import annotations

import json
import mimetypes
import posixpath
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import fsspec  # type: ignore[import-untyped]
from fsspec.spec import AbstractFileSystem  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, Forbidden, InvalidInput, NotFound
from labelwell.store.db import Database
from labelwell.store.tables import Import, StorageConnection
from labelwell.work import webhooks
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize

T = TypeVar("T")

#: URL schemes a connection may name, and the fsspec package each needs
SCHEMES: dict[str, str] = {
    "s3": "s3fs",
    "gs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "file": "fsspec",
    "https": "fsspec (aiohttp)",
}
#: options a connection takes, with what each means (docs/storage.md)
OPTIONS = {
    "endpoint_url": "an S3- or GCS-compatible server's address (admins only)",
    "region": "the bucket's region",
    "glob": "which objects a sync takes, a shell pattern on the key (default *)",
    "data_key": "the item data key that holds an object's URL (default url)",
    "json_items": "a sync reads .json and .jsonl objects as item data",
    "presign": "media redirect to a presigned URL instead of streaming",
    "labels_on_complete": "the worker writes each completed item's labels as <prefix>/<id>.json",
}
#: credential keys each scheme understands
CREDENTIALS: dict[str, frozenset[str]] = {
    "s3": frozenset({"key", "secret", "token"}),
    "gs": frozenset({"token", "project"}),
    "az": frozenset({"account_name", "account_key", "sas_token", "connection_string"}),
    "abfs": frozenset({"account_name", "account_key", "sas_token", "connection_string"}),
    "file": frozenset(),
    "https": frozenset({"authorization"}),
}
#: seconds a presigned media URL stays valid
PRESIGN_S = 300
#: bytes per read when media are streamed
CHUNK = 256 * 1024


def split_url(url: str, field: str = "url") -> tuple[str, str]:
    """``(scheme, path)`` of a storage URL; InvalidInput naming ``field`` otherwise."""
    if not isinstance(url, str) or "://" not in url:
        raise InvalidInput(f"{field} must be a URL such as s3://bucket/prefix", field=field)
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidInput(
            f"{field}: scheme {scheme!r} is not one of {', '.join(sorted(SCHEMES))}", field=field
        )
    parts = rest.split("/")
    encoded = any(e in rest.lower() for e in ("%2e", "%2f", "%5c"))
    if not rest.strip("/") or any(p in (".", "..") for p in parts) or "\\" in rest or encoded:
        raise InvalidInput(f"{field} must name a bucket or folder, without . or ..", field=field)
    return scheme, rest


def _prefix(url: str) -> str:
    scheme, rest = split_url(url)
    return f"{scheme}://{rest.rstrip('/')}"


def _check_options(options: dict[str, Any], actor: Actor) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InvalidInput(
            f"options: unknown {', '.join(unknown)} (known: {', '.join(sorted(OPTIONS))})",
            field=f"options.{unknown[0]}",
        )
    for key in ("endpoint_url", "region", "glob", "data_key"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > 1000):
            raise InvalidInput(f"options.{key} must be a non-empty string", field=f"options.{key}")
    for key in ("json_items", "presign", "labels_on_complete"):
        if key in options and not isinstance(options[key], bool):
            raise InvalidInput(f"options.{key} must be true or false", field=f"options.{key}")
    endpoint = options.get("endpoint_url")
    if endpoint is not None:
        if not endpoint.startswith(("http://", "https://")):
            raise InvalidInput(
                "options.endpoint_url must be an http(s) URL", field="options.endpoint_url"
            )
        if not actor.is_admin:
            raise Forbidden("only an admin may point a connection at a custom endpoint_url")
    return {k: v for k, v in options.items() if v is not None}


def _check_credentials(scheme: str, credentials: dict[str, Any]) -> dict[str, str]:
    known = CREDENTIALS[scheme]
    for key, value in credentials.items():
        if key not in known:
            raise InvalidInput(
                f"credentials: {scheme}:// takes {', '.join(sorted(known)) or 'none'}, not {key!r}",
                field=f"credentials.{key}",
            )
        if not isinstance(value, str) or not value or len(value) > 20_000:
            raise InvalidInput(
                f"credentials.{key} must be a non-empty string", field=f"credentials.{key}"
            )
    return dict(credentials)


def _names_an_endpoint(credentials: dict[str, Any]) -> bool:
    """Whether an Azure connection string points at its own address (an
    emulator or a proxy), which could aim the server at its own network."""
    text = credentials.get("connection_string")
    if not isinstance(text, str):
        return False
    keys = {part.partition("=")[0].strip().lower() for part in text.split(";")}
    return bool(keys & {"blobendpoint", "usedevelopmentstorage", "developmentstorageproxyuri"})


def _gcs_token(token: Any) -> Any:
    """gcsfs' ``token``: a service account's JSON key given as text becomes the
    dict gcsfs takes; ``anon`` stays; nothing means gcsfs' default chain."""
    if isinstance(token, str) and token.lstrip().startswith("{"):
        try:
            return json.loads(token)
        except ValueError:
            raise InvalidInput(
                "credentials.token is not a valid JSON key", field="credentials.token"
            ) from None
    return token


# -- connections ---------------------------------------------------------------


def create_connection(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    url: str,
    options: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> StorageConnection:
    authorize(session, actor, project_id, Permission.manage)
    name = (name or "").strip()
    if not name or len(name) > 100 or "/" in name:
        raise InvalidInput("name must be 1 to 100 characters, without /", field="name")
    scheme, _ = split_url(url)
    if scheme in ("file", "https") and not actor.is_admin:
        raise Forbidden(
            f"only an admin may connect a project to a {scheme}:// prefix "
            "(it reads the server's own disk or network)"
        )
    if _names_an_endpoint(credentials or {}) and not actor.is_admin:
        raise Forbidden("only an admin may give a connection string that names an endpoint")
    if scheme == "gs":
        _gcs_token((credentials or {}).get("token"))  # a key that is not JSON: refused now
    if session.scalar(
        select(StorageConnection.id).where(
            StorageConnection.project_id == project_id, StorageConnection.name == name
        )
    ):
        raise Conflict(f"the project already has a storage connection named {name!r}")
    conn = StorageConnection(
        project_id=project_id,
        name=name,
        url=_prefix(url),
        options=_check_options(dict(options or {}), actor),
        credentials=_check_credentials(scheme, dict(credentials or {})),
        created_by=actor.id,
    )
    session.add(conn)
    session.flush()
    return conn


def list_connections(session: Session, actor: Actor, project_id: int) -> list[StorageConnection]:
    authorize(session, actor, project_id, Permission.manage)
    query = select(StorageConnection).where(StorageConnection.project_id == project_id)
    return list(session.scalars(query.order_by(StorageConnection.id)))


def get_connection(
    session: Session, actor: Actor, project_id: int, ref: str | int
) -> StorageConnection:
    """A project's connection by id or name (manage permission)."""
    authorize(session, actor, project_id, Permission.manage)
    query = select(StorageConnection).where(StorageConnection.project_id == project_id)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(StorageConnection.id == int(ref))
    else:
        query = query.where(StorageConnection.name == ref)
    conn = session.scalar(query)
    if conn is None:
        raise NotFound(f"no storage connection {ref!r} in project {project_id}")
    return conn


def delete_connection(session: Session, actor: Actor, project_id: int, ref: str | int) -> None:
    session.delete(get_connection(session, actor, project_id, ref))


def connection_for(session: Session, project_id: int, url: str) -> StorageConnection:
    """The project's connection whose prefix holds ``url`` (the longest one);
    NotFound for a URL under none of them: the server never reads other URLs."""
    try:
        wanted = _prefix(url)
    except InvalidInput:
        raise NotFound("no storage connection holds this URL") from None
    best: StorageConnection | None = None
    query = select(StorageConnection).where(StorageConnection.project_id == project_id)
    for conn in session.scalars(query):
        if (wanted == conn.url or wanted.startswith(conn.url + "/")) and (
            best is None or len(conn.url) > len(best.url)
        ):
            best = conn
    if best is None:
        raise NotFound("no storage connection holds this URL")
    return best


# -- the file systems ----------------------------------------------------------


def filesystem(conn: StorageConnection) -> AbstractFileSystem:
    """The fsspec file system of a connection, with its options and credentials."""
    scheme, _ = split_url(conn.url)
    options, creds = conn.options or {}, conn.credentials or {}
    kwargs: dict[str, Any] = {}
    if scheme == "s3":
        client: dict[str, Any] = {}
        if options.get("endpoint_url"):
            client["endpoint_url"] = options["endpoint_url"]
        if options.get("region"):
            client["region_name"] = options["region"]
        # no listings cache: other servers and syncs change the bucket under us
        kwargs = {"client_kwargs": client, "use_listings_cache": False, **creds}
    elif scheme == "https":
        # a redirect could lead the server to any address: never follow one
        kwargs["allow_redirects"] = False
        if creds.get("authorization"):
            kwargs["headers"] = {"Authorization": creds["authorization"]}
    elif scheme == "gs":
        kwargs = {"use_listings_cache": False, **creds, "token": _gcs_token(creds.get("token"))}
        if options.get("endpoint_url"):
            kwargs["endpoint_url"] = options["endpoint_url"]
    elif scheme != "file":
        kwargs = {"use_listings_cache": False, **creds}
    try:
        return fsspec.filesystem(scheme, **kwargs)
    except ImportError:
        raise InvalidInput(
            f"{scheme}:// needs {SCHEMES[scheme]} installed on the server", field="url"
        ) from None


def _path(url: str) -> str:
    scheme, rest = split_url(url)
    return ("/" + rest.lstrip("/")) if scheme == "file" else rest if scheme != "https" else url


def _fs_error(exc: Exception, url: str) -> Exception:
    """A domain error for a failed read or write: the URL and the kind of
    failure, never the client's message (it may echo request details)."""
    if isinstance(exc, FileNotFoundError):
        return NotFound(f"{url}: no such object")
    if isinstance(exc, PermissionError):
        return Forbidden(f"{url}: the storage refused access (check the connection's credentials)")
    return InvalidInput(f"{url}: the storage could not be reached ({type(exc).__name__})")


@dataclass(frozen=True, slots=True)
class MediaObject:
    """What the media route sends: a redirect (``redirect``) or a stream."""

    redirect: str | None = None
    chunks: Iterator[bytes] | None = None
    size: int | None = None
    media_type: str = "application/octet-stream"


def open_media(session: Session, project_id: int, url: str) -> MediaObject:
    """Media at ``url`` through the project's connection holding it."""
    conn = connection_for(session, project_id, url)
    fs = filesystem(conn)
    path = _path(url)
    media_type = mimetypes.guess_type(url)[0] or "application/octet-stream"
    try:
        if conn.options.get("presign") and hasattr(fs, "sign"):
            try:
                return MediaObject(redirect=str(fs.sign(path, expiration=PRESIGN_S)))
            except NotImplementedError:
                pass
        info = fs.info(path)
        if info.get("type") == "directory":
            raise FileNotFoundError(path)
        handle = fs.open(path, "rb")
    except (OSError, ValueError) as exc:
        raise _fs_error(exc, url) from None
    return MediaObject(chunks=_read(handle), size=info.get("size"), media_type=media_type)


def read_head(session: Session, project_id: int, url: str, size: int) -> bytes:
    """The first ``size`` bytes (fewer for a shorter object) of the object at
    ``url``, through the project's connection holding it: one ranged read,
    enough for a file's header without fetching the file."""
    conn = connection_for(session, project_id, url)
    try:
        return bytes(filesystem(conn).cat_file(_path(url), start=0, end=size))
    except (OSError, ValueError) as exc:
        raise _fs_error(exc, url) from None


def _read(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


# -- imports and exports through storage ---------------------------------------


def fetch_to(session: Session, actor: Actor, project_id: int, url: str, folder: Path) -> Path:
    """Copy the object at ``url`` (under one of the project's connections) into
    ``folder``, keeping its name (the importer guesses the format by it)."""
    authorize(session, actor, project_id, Permission.manage)
    conn = connection_for(session, project_id, url)
    name = posixpath.basename(url.rstrip("/")) or "import"
    target = folder / name
    try:
        filesystem(conn).get_file(_path(url), str(target))
    except (OSError, ValueError) as exc:
        raise _fs_error(exc, url) from None
    return target


def fetched(db: Database, actor: Actor, project_id: int, url: str, use: Callable[[Path], T]) -> T:
    """``use(path)`` on a local copy of the file stored at ``url``, removed after."""
    with tempfile.TemporaryDirectory(prefix="labelwell-import-") as folder:
        with db.read_session() as s:
            path = fetch_to(s, actor, project_id, url, Path(folder))
        return use(path)


def import_url(db: Database, actor: Actor, project_id: int, url: str, **options: Any) -> Import:
    """Import a file stored at ``url`` as :func:`labelwell.work.imports.import_file` would."""
    from labelwell.work.imports import import_file

    return fetched(
        db, actor, project_id, url, lambda path: import_file(db, actor, project_id, path, **options)
    )


@dataclass(frozen=True, slots=True)
class ExportReport:
    url: str
    items: int
    bytes: int


def export_url(url: str, project_name: str, extension: str) -> str:
    """Where an export goes: ``url`` itself, or a file named after the project
    and the time inside it when ``url`` ends with ``/``."""
    if url.endswith("/"):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in project_name)
        return f"{url}{safe}-{stamp}.{extension.lstrip('.')}"
    return url


def write_to(
    session: Session,
    actor: Actor,
    project_id: int,
    url: str,
    write: Callable[[Any], int],
) -> ExportReport:
    """Open ``url`` (under one of the project's connections) for writing and let
    ``write(out)`` fill it; returns what it wrote."""
    authorize(session, actor, project_id, Permission.manage)
    conn = connection_for(session, project_id, url)
    fs = filesystem(conn)
    path = _path(url)
    try:
        if split_url(url)[0] == "file":
            fs.makedirs(posixpath.dirname(path), exist_ok=True)
        with fs.open(path, "wb") as out:
            n = write(out)
        size = int(fs.info(path).get("size") or 0)
    except (OSError, ValueError) as exc:
        raise _fs_error(exc, url) from None
    return ExportReport(url, n, size)


def export_project(
    db: Database,
    actor: Actor,
    project_id: int,
    url: str,
    *,
    fmt: str = "jsonl",
    flt: Any = None,
) -> ExportReport:
    """Write the project's export in format ``fmt`` to ``url`` (a file, or a
    folder ending in ``/``) under one of its connections."""
    from labelwell.formats.registry import EXPORTERS, fits
    from labelwell.work.export import export_to
    from labelwell.work.projects import ontology_of

    if flt is not None:
        flt.check()
    exporter = EXPORTERS.get(fmt)()
    with db.read_session() as s:
        project = authorize(s, actor, project_id, Permission.manage)
        ontology = ontology_of(project)
        ok, reason = fits(exporter, ontology)
        if not ok:
            raise InvalidInput(reason, field="format")
        target = export_url(url, project.name, exporter.extension)
        report = write_to(
            s,
            actor,
            project_id,
            target,
            lambda out: export_to(s, project_id, exporter, out, ontology, flt),
        )
    with db.session() as s:
        webhooks.publish(
            s,
            project_id,
            "export.ready",
            {"url": report.url, "format": fmt, "items": report.items, "bytes": report.bytes},
        )
    return report
