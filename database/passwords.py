"""Password hashing: bcrypt over a SHA-256 pre-hash, so no password is ever truncated.

Stored format (one scheme for every password, marked so it is explicit)::

    bcrypt_sha256$<bcrypt hash of base64(sha256(utf-8 password))>
    e.g. bcrypt_sha256$$2b$12$<22-char salt><31-char checksum>

bcrypt reads at most 72 bytes (bcrypt 5 refuses longer input instead of truncating). Pre-hashing
the exact UTF-8 bytes with SHA-256 and base64 gives 44 ASCII bytes for any password, so two long
passwords that differ only after byte 72 still hash differently, and a NUL can never reach
bcrypt. Django's BCryptSHA256PasswordHasher does the same (with a hex digest). No Unicode
normalisation: the password is exactly what was typed.
"""

from __future__ import annotations

import base64
import hashlib
import re

import bcrypt

from database.errors import ValidationError

PREFIX = "bcrypt_sha256$"
MIN_LENGTH = 8

_COST = re.compile(r"^\$2[aby]\$(\d{2})\$")
# A well-formed bcrypt salt+checksum that no password produces in practice (it was taken from a
# hash of a throwaway value). Prefixed with the configured cost it makes checkpw do the full work
# of that cost, so a login for an unknown user (or one without a password) takes as long as a
# wrong password, without paying for a hash generation first.
_DUMMY_BODY = "o5gjmInfa7IZBTiC1SI.9uqkkqLO4rddc7jhGBvedvpSH4MP1LBQW"


class Hashed(str):
    """A stored password hash. Its repr, which is what log lines (SQLAlchemy's echo of result rows
    and parameters), tracebacks and containers show, is masked; the value itself is unchanged."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<password hash>'"


def validate(password: object, field: str = "password") -> str:
    """At least 8 characters, no NUL; no composition rules."""
    if not isinstance(password, str):
        raise ValidationError(field, f"must be a string, got {type(password).__name__}")
    if "\x00" in password:
        raise ValidationError(field, "must not contain NUL characters")
    if len(password) < MIN_LENGTH:
        raise ValidationError(field, f"must be at least {MIN_LENGTH} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "is not valid Unicode text (lone surrogate)") from None
    return password


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest())


def hash_password(password: str, rounds: int) -> str:
    """The stored form of ``password`` (validated first) at bcrypt cost ``rounds``."""
    return rehash(validate(password), rounds)


def rehash(password: str, rounds: int) -> str:
    """Hash a password that already verified (no rules re-applied: they may have changed since)."""
    digest = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds))
    return Hashed(PREFIX + digest.decode("ascii"))


def dummy_hash(rounds: int) -> str:
    """A stored-format hash of cost ``rounds`` that matches no password."""
    return f"{PREFIX}$2b${rounds:02d}${_DUMMY_BODY}"


def cost(stored: str | None) -> int | None:
    """The bcrypt cost of a stored hash, None if it is not in our format."""
    if not stored or not stored.startswith(PREFIX):
        return None
    match = _COST.match(stored[len(PREFIX) :])
    return int(match.group(1)) if match else None


def verify(password: object, stored: str | None, rounds: int) -> bool:
    """True if ``password`` matches ``stored``. Never raises for a bad or missing hash.

    A missing hash (unknown user, or a user without a password) or one in an unknown format
    is checked against a dummy hash of cost ``rounds`` and fails: every "no" costs the same.
    """
    candidate = password if isinstance(password, str) else ""
    target = stored if cost(stored) is not None else None
    checked = target or dummy_hash(rounds)
    try:
        ok = bcrypt.checkpw(_prehash(candidate), checked[len(PREFIX) :].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return ok and target is not None and isinstance(password, str)


def needs_rehash(stored: str | None, rounds: int) -> bool:
    """True when ``stored`` was made with a lower cost than ``rounds`` (upgrade on next login)."""
    current = cost(stored)
    return current is not None and current < rounds
