"""Webhooks: a project's events, signed and sent to receivers by the worker.

Every event goes out through :func:`publish`, called where it happens (a
submit that completes an item, consensus escalating one, an export written,
a quality gate failing, an annotator flagged). ``publish`` only inserts one
``webhook_deliveries`` row per subscribed hook, in the caller's transaction,
with a single ``INSERT ... SELECT`` (nothing when the project has no hook), so
a submit never waits on a receiver. ``labelwell worker`` sends due deliveries
(:func:`deliver_due`), claiming them with a guarded update as it claims jobs,
and retries failures with exponential backoff (``BACKOFF_S * 2**(attempt-1)``,
capped at ``MAX_DELAY_S``) up to ``MAX_ATTEMPTS``.

Requests are bounded: ``http``/``https`` only, no credentials in the URL,
``TIMEOUT_S`` in all, at most ``MAX_RESPONSE_BYTES`` of the answer read,
redirects never followed (a 3xx is a failed attempt), and hosts that resolve
to loopback, private, link-local, multicast or reserved addresses are refused
unless the server allows them (``LABELWELL_WEBHOOK_PRIVATE_HOSTS=1``, for
receivers on the same network, and the tests). Each delivery resolves the host
once and connects to that address (:func:`pin_address`, :class:`PinnedTransport`),
so a name cannot pass the check with a public address and then be reached on a
private one (DNS rebinding); the Host header and TLS (SNI, certificate checks)
stay on the name.

The signing secret is made by the server, shown once when the hook is made,
and stored encrypted (Fernet, AES-128-CBC with HMAC-SHA256) with the server's
key, ``LABELWELL_SECRET_KEY`` or else a key file made in labelwell's home; it
must stay readable to the server because every delivery is signed with it (a
hash would not do). Servers sharing one database share that key."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import orjson
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound
from labelwell.store.db import Database, rows_changed
from labelwell.store.raw import Raw, Statement, dumps
from labelwell.store.tables import Webhook, WebhookDelivery
from labelwell.webhook_signature import HEADER, sign
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize

#: the events a hook may take, with what each means (docs/pipelines.md)
EVENTS: dict[str, str] = {
    "item.completed": "an item received the answers its overlap asks for",
    "item.escalated": "consensus found no majority and sent an item to a manager",
    "project.completed": "the last open item of the project was completed",
    "quality_gate.failed": "a pipeline's quality gate found a threshold missed",
    "export.ready": "an export was written (a job's file or a storage URL)",
    "annotator.flagged": "the quality report flagged an annotator (an anomaly)",
}
#: the event a hook's test sends
PING = "ping"
MAX_HOOKS = 20
MAX_ATTEMPTS = 8
BACKOFF_S = 30.0
MAX_DELAY_S = 3600.0
TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
#: a claimed delivery's lease; a worker that died lets it go after this
LEASE_S = 60.0
PRIVATE_HOSTS_ENV = "LABELWELL_WEBHOOK_PRIVATE_HOSTS"


# -- the server's key --------------------------------------------------------------


def server_key(home: Path) -> Fernet:
    """The key that encrypts signing secrets: ``LABELWELL_SECRET_KEY`` (any
    string; hashed to a Fernet key), else ``home/secret.key``, made on first use."""
    given = os.environ.get("LABELWELL_SECRET_KEY")
    if given:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(given.encode()).digest()))
    path = home / "secret.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def _secret_of(hook: Webhook, home: Path) -> str:
    try:
        return server_key(home).decrypt(hook.secret.encode()).decode()
    except InvalidToken:
        raise Conflict(
            f"webhook {hook.id}'s secret was encrypted with another server key; "
            "set LABELWELL_SECRET_KEY as the server that made it had it, or make the hook again"
        ) from None


# -- hooks -------------------------------------------------------------------------


def _frame(events: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(events))
    if not chosen:
        raise InvalidInput("events: choose at least one event", field="events")
    for i, event in enumerate(chosen):
        if event not in EVENTS:
            raise InvalidInput(
                f"events[{i}]: unknown event {event!r} (known: {', '.join(EVENTS)})",
                field=f"events[{i}]",
            )
    return "," + ",".join(chosen) + ","


def events_of(hook: Webhook) -> list[str]:
    return [e for e in hook.events.split(",") if e]


def check_url(url: str, field: str = "url") -> str:
    """An ``http(s)`` URL with a host and no credentials; InvalidInput otherwise."""
    if not isinstance(url, str) or len(url) > 2000:
        raise InvalidInput(f"{field} must be a URL of at most 2000 characters", field=field)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{field} must be an http:// or https:// URL with a host", field=field)
    if parts.username or parts.password:
        raise InvalidInput(f"{field} must not carry a user name or password", field=field)
    return url.strip()


@dataclass(frozen=True, slots=True)
class NewWebhook:
    hook: Webhook
    #: the signing secret, shown this once
    secret: str


def create(
    session: Session, actor: Actor, project_id: int, url: str, events: Iterable[str], home: Path
) -> NewWebhook:
    """Add a hook to a project (managers); its secret is returned once."""
    authorize(session, actor, project_id, Permission.manage)
    url = check_url(url)
    framed = _frame(events)
    count = len(list(session.scalars(select(Webhook.id).where(Webhook.project_id == project_id))))
    if count >= MAX_HOOKS:
        raise Conflict(f"a project has at most {MAX_HOOKS} webhooks")
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(
        project_id=project_id,
        url=url,
        events=framed,
        secret=server_key(home).encrypt(secret.encode()).decode(),
        active=True,
        created_by=actor.id,
    )
    session.add(hook)
    session.flush()
    return NewWebhook(hook, secret)


def listing(session: Session, actor: Actor, project_id: int) -> list[Webhook]:
    authorize(session, actor, project_id, Permission.manage)
    return list(
        session.scalars(
            select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)
        )
    )


def get(session: Session, actor: Actor, project_id: int, webhook_id: int) -> Webhook:
    authorize(session, actor, project_id, Permission.manage)
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.project_id != project_id:
        raise NotFound(f"no webhook {webhook_id} in project {project_id}")
    return hook


def update_hook(
    session: Session,
    actor: Actor,
    project_id: int,
    webhook_id: int,
    *,
    url: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
) -> Webhook:
    hook = get(session, actor, project_id, webhook_id)
    if url is not None:
        hook.url = check_url(url)
    if events is not None:
        hook.events = _frame(events)
    if active is not None:
        hook.active = active
    session.flush()
    return hook


def delete(session: Session, actor: Actor, project_id: int, webhook_id: int) -> None:
    """Remove a hook and its delivery log."""
    session.delete(get(session, actor, project_id, webhook_id))
    session.flush()


def deliveries(
    session: Session,
    actor: Actor,
    project_id: int,
    webhook_id: int,
    *,
    limit: int = 50,
    before: int | None = None,
) -> list[WebhookDelivery]:
    """A hook's deliveries, newest first."""
    get(session, actor, project_id, webhook_id)
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


# -- publishing --------------------------------------------------------------------

_HOOKS_OF = Statement("SELECT events FROM webhooks WHERE project_id = ? AND active = ?")
_PUBLISH = Statement(
    "INSERT INTO webhook_deliveries (webhook_id, project_id, event, event_id, payload, state,"
    " attempts, next_attempt_at, created_at)"
    " SELECT id, project_id, ?, ?, ?json, 'pending', 0, ?, ? FROM webhooks"
    " WHERE project_id = ? AND active = ? AND events LIKE ?"
)


def envelope(event: str, event_id: str, project_id: int, at: datetime, data: Any) -> dict[str, Any]:
    """The JSON body every delivery sends."""
    return {
        "id": event_id,
        "event": event,
        "project_id": project_id,
        "created_at": at.astimezone(UTC).isoformat(),
        "data": data,
    }


def subscribed(db: Raw, project_id: int) -> set[str]:
    """The events some active hook of the project takes (one indexed read)."""
    found: set[str] = set()
    for (events,) in db.all(_HOOKS_OF, (project_id, True)):
        found |= events_in(str(events))
    return found


def events_in(joined: str) -> set[str]:
    """The events of a hook's ``events`` column (``,item.completed,...,``), or of
    several joined with commas."""
    return {e for e in joined.split(",") if e}


def publish(db: Raw | Session, project_id: int, event: str, data: dict[str, Any]) -> int:
    """Queue ``event`` for every active hook of the project that takes it, in the
    caller's transaction; returns how many deliveries were queued."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    raw = db if isinstance(db, Raw) else Raw(db)
    at = datetime.now(UTC)
    event_id = f"evt_{uuid.uuid4().hex}"
    body = envelope(event, event_id, project_id, at, data)
    stamp = raw.stamp(at)
    return raw.run(
        _PUBLISH,
        (event, event_id, dumps(body), stamp, stamp, project_id, True, f"%,{event},%"),
    )


#: one open item is enough to know the project is not complete (an index probe,
#: not a count of every open item of a large project on each completed one)
_AN_OPEN_ITEM = Statement(
    "SELECT 1 FROM items WHERE project_id = ? AND is_gold = ? AND status IN ('open', 'full')"
    " LIMIT 1"
)


def item_completed(db: Raw, project_id: int, item_id: int, wanted: set[str] | None = None) -> None:
    """Publish ``item.completed`` (and ``project.completed`` when it was the
    last open item); one read when the project has no hook, none when the
    caller passes what :func:`subscribed` says (PostgreSQL's submit function
    reads it in its own call, migration 0027)."""
    if wanted is None:
        wanted = subscribed(db, project_id)
    if not wanted:
        return
    if "item.completed" in wanted:
        publish(db, project_id, "item.completed", {"item_id": item_id})
    if "project.completed" in wanted and db.one(_AN_OPEN_ITEM, (project_id, False)) is None:
        publish(db, project_id, "project.completed", {"last_item_id": item_id})


# -- sending -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one request to a receiver came to."""

    ok: bool
    response_code: int | None
    latency_ms: int
    error: str | None


def private_hosts_allowed() -> bool:
    return os.environ.get(PRIVATE_HOSTS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


#: resolves a host name to its addresses, as :func:`resolve` does (the tests
#: pass one of their own)
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now (the system's resolver)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast


def pin_address(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = resolve
) -> tuple[str | None, str | None]:
    """``(address, None)``: the one address a delivery to ``host`` connects to,
    resolved once; or ``(None, why)`` when it may not be called. Every address
    the name resolves to must be public (not loopback, private, link-local,
    multicast or reserved) unless private hosts are allowed: a name that
    answers public now and private on the next lookup (DNS rebinding) never
    gets that next lookup, because the request goes to the pinned address."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
        except (OSError, ValueError) as error:
            message = error.strerror if isinstance(error, OSError) else None
            return None, f"cannot resolve {host}: {message or error}"
    if not addresses:
        return None, f"cannot resolve {host}: no address"
    if not allow_private:
        for address in addresses:
            if _non_public(address):
                return None, f"{host} resolves to {address}, a non-public address"
    return str(addresses[0]), None


class _PinnedBackend(httpcore.SyncBackend):
    """Opens every TCP connection to one address, whatever host it is asked
    for; TLS still runs on the URL's host name (SNI and certificate checks)."""

    def __init__(self, address: str) -> None:
        self.address = address

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(self.address, port, timeout, local_address, socket_options)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that connects to ``address`` only (no proxies, no
    second lookup), keeping the request's Host header and TLS server name."""

    def __init__(self, address: str, *, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            network_backend=_PinnedBackend(address),
        )


def send(
    url: str,
    secret: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    resolver: Resolver = resolve,
    verify: ssl.SSLContext | bool = True,
) -> Attempt:
    """POST a signed body once, bounded in time and size, following no
    redirect, to the address the URL's host resolved to once
    (:func:`pin_address`)."""
    started = time.monotonic()

    def done(ok: bool, code: int | None, error: str | None) -> Attempt:
        return Attempt(ok, code, int((time.monotonic() - started) * 1000), error)

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return done(False, None, "only http:// and https:// URLs are called")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return done(False, None, "the URL's port is not a number from 0 to 65535")
    address, why = pin_address(parts.hostname, port, allow_private=allow_private, resolver=resolver)
    if address is None:
        return done(False, None, why)
    sent = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": "labelwell-webhooks",
        HEADER: sign(secret, body),
    }
    try:
        with (
            httpx.Client(
                timeout=TIMEOUT_S,
                follow_redirects=False,
                trust_env=False,
                transport=PinnedTransport(address, verify=verify),
            ) as client,
            client.stream("POST", url, content=body, headers=sent) as response,
        ):
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES or time.monotonic() - started > TIMEOUT_S:
                    break
            code = response.status_code
    except httpx.TimeoutException:
        return done(False, None, f"no answer within {TIMEOUT_S:g} s")
    except httpx.HTTPError as error:
        return done(False, None, f"request failed: {type(error).__name__}")
    if 300 <= code < 400:
        return done(False, code, "redirects are not followed")
    return done(200 <= code < 300, code, None if 200 <= code < 300 else f"answered {code}")


def delay_after(attempts: int, backoff_s: float = BACKOFF_S) -> float:
    """Seconds before the next try after ``attempts`` failed ones."""
    return float(min(MAX_DELAY_S, backoff_s * 2 ** max(0, attempts - 1)))


def _attempt(
    db: Database,
    delivery_id: int,
    home: Path,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> Attempt | None:
    with db.read_session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        hook = s.get(Webhook, delivery.webhook_id) if delivery is not None else None
        if delivery is None or hook is None:
            return None
        try:
            secret = _secret_of(hook, home)
        except Conflict as error:
            return Attempt(False, None, 0, error.message)
        body = orjson.dumps(delivery.payload)
        headers = {
            "Labelwell-Event": delivery.event,
            "Labelwell-Delivery": str(delivery.id),
            "Labelwell-Event-Id": delivery.event_id,
        }
        url = hook.url
    return send(url, secret, body, headers, allow_private=allow_private, resolver=resolver)


def _record(
    db: Database,
    delivery_id: int,
    outcome: Attempt,
    *,
    owner: str | None,
    at: datetime,
    backoff_s: float,
) -> None:
    with db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or (owner is not None and delivery.lease_owner != owner):
            return
        delivery.attempts += 1
        delivery.response_code = outcome.response_code
        delivery.latency_ms = outcome.latency_ms
        delivery.error = outcome.error
        delivery.lease_owner = None
        delivery.lease_expires_at = None
        if outcome.ok:
            delivery.state = "delivered"
            delivery.delivered_at = at
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = "failed"
            delivery.next_attempt_at = None
        else:
            delivery.state = "pending"
            delivery.next_attempt_at = at + timedelta(
                seconds=delay_after(delivery.attempts, backoff_s)
            )


def _claim(db: Database, owner: str, at: datetime, limit: int) -> list[int]:
    due = or_(
        and_(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= at),
        and_(WebhookDelivery.state == "sending", WebhookDelivery.lease_expires_at < at),
    )
    with db.read_session() as s:
        if s.scalar(select(WebhookDelivery.id).where(due).limit(1)) is None:
            return []
    taken: list[int] = []
    with db.session() as s:
        query = select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.id).limit(limit)
        if db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for delivery_id in list(s.scalars(query)):
            changed = rows_changed(
                s,
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, due)
                .values(
                    state="sending",
                    lease_owner=owner,
                    lease_expires_at=at + timedelta(seconds=LEASE_S),
                ),
            )
            if changed:
                taken.append(delivery_id)
    return taken


def deliver_due(
    db: Database,
    home: Path,
    *,
    owner: str | None = None,
    at: datetime | None = None,
    limit: int = 20,
    backoff_s: float = BACKOFF_S,
    allow_private: bool | None = None,
    resolver: Resolver = resolve,
) -> int:
    """Send the deliveries due at ``at`` (now by default); returns how many
    were attempted. The worker calls this between jobs. Each delivery resolves
    its host once, with ``resolver``, and connects to that address."""
    owner = owner or f"hooks-{uuid.uuid4().hex[:16]}"
    moment = at or datetime.now(UTC)
    private = private_hosts_allowed() if allow_private is None else allow_private
    ids = _claim(db, owner, moment, limit)
    for delivery_id in ids:
        outcome = _attempt(db, delivery_id, home, private, resolver)
        if outcome is not None:
            _record(db, delivery_id, outcome, owner=owner, at=moment, backoff_s=backoff_s)
    return len(ids)


def _send_now(
    db: Database, delivery_id: int, home: Path, allow_private: bool | None
) -> WebhookDelivery:
    owner = f"hand-{uuid.uuid4().hex[:16]}"
    moment = datetime.now(UTC)
    with db.session() as s:
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(
                state="sending",
                lease_owner=owner,
                lease_expires_at=moment + timedelta(seconds=LEASE_S),
            )
        )
    private = private_hosts_allowed() if allow_private is None else allow_private
    outcome = _attempt(db, delivery_id, home, private)
    if outcome is not None:
        _record(db, delivery_id, outcome, owner=owner, at=moment, backoff_s=BACKOFF_S)
    with db.read_session() as s:
        found = s.get(WebhookDelivery, delivery_id)
        assert found is not None
        s.expunge(found)
        return found


def test(
    db: Database,
    actor: Actor,
    project_id: int,
    webhook_id: int,
    home: Path,
    *,
    allow_private: bool | None = None,
) -> WebhookDelivery:
    """Send a ``ping`` to one hook now and answer with its delivery (a failed
    ping is retried by the worker like any delivery)."""
    at = datetime.now(UTC)
    event_id = f"evt_{uuid.uuid4().hex}"
    with db.session() as s:
        hook = get(s, actor, project_id, webhook_id)
        delivery = WebhookDelivery(
            webhook_id=hook.id,
            project_id=project_id,
            event=PING,
            event_id=event_id,
            payload=envelope(PING, event_id, project_id, at, {"webhook_id": hook.id}),
            state="pending",
            attempts=0,
            next_attempt_at=at,
        )
        s.add(delivery)
        s.flush()
        delivery_id = delivery.id
    return _send_now(db, delivery_id, home, allow_private)


def redeliver(
    db: Database,
    actor: Actor,
    project_id: int,
    webhook_id: int,
    delivery_id: int,
    home: Path,
    *,
    allow_private: bool | None = None,
) -> WebhookDelivery:
    """Send a delivery's payload again now, as a new delivery (same event id,
    so receivers can tell it is the same event)."""
    with db.session() as s:
        get(s, actor, project_id, webhook_id)
        old = s.get(WebhookDelivery, delivery_id)
        if old is None or old.webhook_id != webhook_id:
            raise NotFound(f"no delivery {delivery_id} of webhook {webhook_id}")
        again = WebhookDelivery(
            webhook_id=webhook_id,
            project_id=project_id,
            event=old.event,
            event_id=old.event_id,
            payload=old.payload,
            state="pending",
            attempts=0,
            next_attempt_at=datetime.now(UTC),
        )
        s.add(again)
        s.flush()
        new_id = again.id
    return _send_now(db, new_id, home, allow_private)
