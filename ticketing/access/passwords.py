"""Password hashing with argon2id; hashing runs off the event loop (it is slow on purpose)."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ticketing.errors import InvalidInput

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real check,
# so response times do not tell which email addresses have accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


async def hash_password(password: str) -> str:
    check_strength(password)
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or malformed hash never matches."""
    return await asyncio.to_thread(_verify, stored_hash or _DUMMY_HASH, password, stored_hash)


def _verify(stored_hash: str, password: str, real: str | None) -> bool:
    try:
        matched = _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matched and real)
