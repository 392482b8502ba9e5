"""Identity values in their one stored form, so the same person is found on every channel."""

from __future__ import annotations

import re

from ticketing.errors import InvalidInput
from ticketing.models import IdentityKind
from ticketing.phone import normalise_phone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^@?[A-Za-z0-9_.:+/=-]{2,120}$")  # Viber ids are base64: + / =


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise InvalidInput(f"{raw!r} is not an email address")
    return value


def normalise_identity(kind: IdentityKind, raw: str, default_region: str) -> str:
    """The stored form of an identity: E.164 phones, lowercased emails, trimmed handles."""
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        number = normalise_phone(raw, default_region)
        if number is None:
            raise InvalidInput(f"{raw!r} is not a phone number")
        return number
    if kind is IdentityKind.EMAIL:
        return normalise_email(raw)
    value = raw.strip()
    if not _HANDLE.match(value):
        raise InvalidInput(f"{raw!r} is not a valid {kind.value} id")
    return value
