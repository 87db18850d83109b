"""Logging in over HTTP (the API's and the web page's), and changing one's own
password: failed tries throttled per account and per client address (a wrong
current password counts as a failed login), passwords verified on a small
thread pool of their own so the event loop and the request threads stay free.

The throttle's counts live in the server process (each worker of
``labelwell serve --workers N`` counts its own) and hold a bounded number of
keys, so a flood of made-up emails cannot grow them without limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request

from labelwell.errors import Busy, InvalidInput, TooManyRequests, Unauthorized
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.store.tables import User
from labelwell.work import accounts

#: keys remembered per throttle; the least recently failed are forgotten first
MAX_KEYS = 50_000
#: logins waiting for a password thread before more are answered 503
MAX_WAITING = 64


class FailureWindow:
    """Failures per key within a sliding window of ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, *, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        return failures[0] + self.window_s - now if len(failures) >= self.limit else 0.0

    def fail(self, key: str, now: float) -> None:
        failures = self._failures.pop(key, None) or deque(maxlen=self.limit)
        failures.append(now)
        self._failures[key] = failures
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)


@dataclass
class LoginGuard:
    """A process's login throttle and password threads."""

    accounts: FailureWindow
    addresses: FailureWindow
    threads: int
    _limiter: CapacityLimiter | None = None

    @classmethod
    def of(cls, settings: Settings) -> LoginGuard:
        window = settings.login_window_s
        return cls(
            FailureWindow(settings.login_failures_per_account, window),
            FailureWindow(settings.login_failures_per_address, window),
            settings.password_threads,
        )

    def check(self, email: str, address: str, now: float) -> None:
        wait = max(self.accounts.retry_after(email, now), self.addresses.retry_after(address, now))
        if wait > 0:
            raise TooManyRequests(
                "too many failed logins: try again later", retry_after=math.ceil(wait)
            )

    @property
    def limiter(self) -> CapacityLimiter:
        if self._limiter is None:  # made on the event loop, on first use
            self._limiter = CapacityLimiter(self.threads)
        return self._limiter


def guard_of(request: Request) -> LoginGuard:
    state = request.app.state
    guard: LoginGuard | None = getattr(state, "login_guard", None)
    if guard is None:
        guard = state.login_guard = LoginGuard.of(state.settings)
    return guard


def session_policy(settings: Settings) -> accounts.SessionPolicy:
    return accounts.SessionPolicy(settings.session_max_age_s, settings.session_idle_s)


async def log_in(
    request: Request, email: str, password: str, *, name: str
) -> tuple[accounts.IssuedToken, User]:
    """A new session (and its user) for the right email and password; 429
    after too many failed tries for the account or from the client's address."""
    guard = guard_of(request)
    email = email.strip().lower()
    address = request.client.host if request.client else ""
    guard.check(email, address, time.monotonic())
    limiter = guard.limiter
    if limiter.statistics().tasks_waiting >= MAX_WAITING:
        raise Busy("the server is busy checking other logins: try again in a moment")
    db: Database = request.app.state.db
    try:
        user = await anyio.to_thread.run_sync(_authenticate, db, email, password, limiter=limiter)
    except Unauthorized:
        now = time.monotonic()
        guard.accounts.fail(email, now)
        guard.addresses.fail(address, now)
        raise
    guard.accounts.clear(email)
    policy = session_policy(request.app.state.settings)
    issued = await anyio.to_thread.run_sync(_open_session, db, user.id, policy, name)
    return issued, user


async def change_own_password(request: Request, token: str, current: str, new: str) -> None:
    """Set the password of ``token``'s owner once ``current`` is right; their
    other web sessions end, ``token`` stays. Wrong current passwords count
    against the login throttle (429 after too many). The writes take one short
    transaction; both argon2 runs happen before it."""
    db: Database = request.app.state.db
    actor = await anyio.to_thread.run_sync(accounts.token_actor, db.engine, token)
    guard = guard_of(request)
    address = request.client.host if request.client else ""
    guard.check(actor.email, address, time.monotonic())
    limiter = guard.limiter
    if limiter.statistics().tasks_waiting >= MAX_WAITING:
        raise Busy("the server is busy checking other passwords: try again in a moment")
    try:
        await anyio.to_thread.run_sync(_check_current, db, actor.id, current, limiter=limiter)
    except InvalidInput:
        now = time.monotonic()
        guard.accounts.fail(actor.email, now)
        guard.addresses.fail(address, now)
        raise
    guard.accounts.clear(actor.email)
    digest = await anyio.to_thread.run_sync(_new_hash, new, actor.email, limiter=limiter)
    await anyio.to_thread.run_sync(_store_password, db, actor.id, digest, token)


def _check_current(db: Database, user_id: int, current: str) -> None:
    with db.read_session() as s:
        accounts.check_current_password(s, user_id, current)


def _new_hash(password: str, email: str) -> str:
    return accounts.new_password_hash(password, email=email)


def _store_password(db: Database, user_id: int, digest: str, token: str) -> None:
    with db.session() as s:
        accounts.change_password(s, user_id, digest, keep=token)


def _authenticate(db: Database, email: str, password: str) -> User:
    with db.read_session() as s:
        user = accounts.authenticate(s, email, password)
        s.expunge(user)
        return user


def _open_session(
    db: Database, user_id: int, policy: accounts.SessionPolicy, name: str
) -> accounts.IssuedToken:
    with db.session() as s:
        return accounts.create_session(s, accounts.get_user(s, user_id), policy, name=name)
