"""Signing and verifying webhook payloads (HMAC-SHA256, as Stripe signs its events).

The sender puts ``Labelwell-Signature: t=<unix seconds>,v1=<hex digest>`` on
each request, the digest being ``HMAC-SHA256(secret, "<t>.<raw body>")``
(RFC 2104). A receiver recomputes it over the raw body it read, compares in
constant time and refuses a timestamp older than its tolerance, which stops a
captured request from being replayed later. No database or web imports: a
receiver may copy this module as it is."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Labelwell-Signature"
#: seconds a signature stays acceptable by default
TOLERANCE_S = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or wrong."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Labelwell-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_s: int = TOLERANCE_S,
    now: float | None = None,
) -> int:
    """Check a request's signature header against its raw body; returns its
    timestamp, or raises :class:`SignatureError` saying what is wrong."""
    if not header:
        raise SignatureError(f"no {HEADER} header")
    parts: dict[str, list[str]] = {}
    for piece in header.split(","):
        key, sep, value = piece.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("the signature header has no timestamp t=") from None
    moment = time.time() if now is None else now
    if abs(moment - t) > tolerance_s:
        raise SignatureError(f"the timestamp is more than {tolerance_s} s away from now")
    expected = sign(secret, body, t).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("the signature does not match the body")
    return t
