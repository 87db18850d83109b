"""Passwords: argon2id hashes, the policy a new password must meet, and a
verification that costs the same whether or not the account exists."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from labelwell.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 1000

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown account, no password
    set) a stand-in hash is verified instead, so the answer takes as long."""
    try:
        return _hasher.verify(password_hash or _stand_in_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _stand_in_hash() -> str:
    return _hasher.hash("labelwell: no account has this password")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case)."""
    text = resources.files("labelwell.work").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_password(password: str, *, email: str) -> None:
    """Refuse a new password that is short, common, or made from the email."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"password: must be at least {MIN_LENGTH} characters",
            field="password",
            details={"rule": "short"},
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"password: must be at most {MAX_LENGTH} characters",
            field="password",
            details={"rule": "long"},
        )
    lowered = password.lower()
    if lowered in common_passwords():
        raise InvalidInput(
            "password: is one of the most common passwords; choose another",
            field="password",
            details={"rule": "common"},
        )
    local = email.strip().lower().split("@", 1)[0]
    if len(local) >= 3 and local in lowered or lowered in email.strip().lower():
        raise InvalidInput(
            "password: must not contain the email address",
            field="password",
            details={"rule": "email"},
        )
