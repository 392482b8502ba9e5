"""An article body as plain text (for search and the chatbot's excerpts): Markdown with
its markup removed, HTML through the same allow-list sanitiser as inbound mail."""

from __future__ import annotations

import re

from channels.email.html import sanitise
from knowledge.models import BodyFormat

EXCERPT = 240
_MARKDOWN = (
    (re.compile(r"```.*?```", re.S), " "),  # code blocks
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", re.M), ""),  # headings, quotes, lists
    (re.compile(r"[*_`~]{1,3}"), ""),  # emphasis, inline code
)


def clean_body(body: str, body_format: BodyFormat) -> tuple[str, str]:
    """The body to store (HTML sanitised) and its plain text."""
    if body_format is BodyFormat.HTML:
        return sanitise(body)
    plain = body
    for pattern, replacement in _MARKDOWN:
        plain = pattern.sub(replacement, plain)
    return body, re.sub(r"\n\s*\n\s*", "\n\n", plain).strip()


def excerpt(plain: str, limit: int = EXCERPT) -> str:
    """The first words of a text, cut at a word boundary."""
    flat = " ".join(plain.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(".,;:") + "…"
