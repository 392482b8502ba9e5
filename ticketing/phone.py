"""Phone numbers as contact identities: everything is stored in E.164."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: str, default_region: str) -> str | None:
    """E.164 form of ``raw`` read in ``default_region``, or None when it is no phone number.

    Caller IDs such as ``anonymous`` or an empty string give None: such calls still get a
    ticket, just no contact.
    """
    candidate = raw.strip()
    if not candidate or not any(ch.isdigit() for ch in candidate):
        return None
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
