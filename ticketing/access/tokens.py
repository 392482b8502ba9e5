"""API tokens for integrations: random, shown once, stored as SHA-256.

The tokens are 256 random bits, so a fast hash is enough (no dictionary to guess from);
argon2 would only slow down every API request.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "sbt_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
