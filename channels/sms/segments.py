"""Long SMS: split for sending (GSM-7 153 characters a part, UCS-2 67) and joined back
from parts received separately."""

from __future__ import annotations

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7 for ch in text)


def split(text: str) -> list[str]:
    """The parts a message is sent as; one part when it fits in a single SMS."""
    single, part = (160, 153) if is_gsm7(text) else (70, 67)
    if len(text) <= single:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > part:
        space = rest.rfind(" ", 0, part)
        cut = space + 1 if space > part // 2 else part  # the space ends the earlier part
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


def join(parts: list[tuple[int, str]]) -> str:
    """Parts (number, text) in their order, whatever order they arrived in."""
    return "".join(text for _number, text in sorted(parts))
