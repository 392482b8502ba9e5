"""Pictures and documents sent from messaging apps: each app names a file by its own id or
URL (``meta["media"]``), the adapter turns that into a download, and what arrives becomes
an attachment of the message. A file over the size limit is not read to the end; it is
recorded as refused with the reason, and the message's text is stored all the same.

A provider retrying a webhook sends a message already stored: it is recognised by its
provider id before anything is downloaded, so its files are fetched once."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import httpx

from channels.adapter import Inbound, InboundAttachment
from channels.inbox import Inbox, Received
from ticketing.attachments import TYPES_BY_EXTENSION

EXTENSIONS = {content_type: ext for ext, content_type in reversed(TYPES_BY_EXTENSION.items())}


class MediaError(Exception):
    """A file could not be taken: too large, or the provider would not hand it over."""


def media_item(key: str, filename: str = "", content_type: str = "") -> dict[str, str]:
    """How a message remembers one of its files until it is downloaded."""
    return {"key": key, "filename": filename, "content_type": content_type}


def file_name(given: str, content_type: str, fallback: str) -> str:
    """The sender's file name, or one made from the provider's id and the type."""
    if given:
        return given
    clean = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in fallback)[-60:]
    stem, dot, known = clean.lstrip(".").rpartition(".")
    if dot and f".{known.lower()}" in TYPES_BY_EXTENSION:
        return f"{stem}.{known}"  # the URL's own name: meter.png
    bare = content_type.split(";")[0].strip().lower()
    extension = EXTENSIONS.get(bare) or mimetypes.guess_extension(bare) or ""
    return f"{clean.lstrip('.').replace('.', '-') or 'file'}{extension}"


async def download(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
) -> tuple[bytes, str]:
    """The file's bytes and its content type; MediaError past ``max_bytes`` or on an
    HTTP failure (the rest of a file too large is never read)."""
    try:
        async with client.stream("GET", url, headers=dict(headers or {})) as response:
            if response.status_code >= 400:
                raise MediaError(f"the provider answered HTTP {response.status_code}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise MediaError(_too_large(max_bytes, declared))
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise MediaError(_too_large(max_bytes, 0))
            return bytes(data), response.headers.get("Content-Type", "")
    except httpx.HTTPError as exc:
        raise MediaError(f"download failed: {exc.__class__.__name__}") from exc


Fetch = Callable[[dict[str, Any], int], Awaitable[InboundAttachment]]


async def with_media(message: Inbound, fetch: Fetch, max_bytes: int) -> Inbound:
    """The message with its files attached; the ones that could not be taken are listed
    in ``meta["refused_files"]`` with the reason."""
    items = [i for i in message.meta.get("media", []) if isinstance(i, dict)]
    if not items:
        return message
    files: list[InboundAttachment] = []
    refused: list[str] = list(message.meta.get("refused_files", []))
    for item in items:
        try:
            files.append(await fetch(item, max_bytes))
        except MediaError as exc:
            refused.append(f"{item.get('filename') or item.get('key')}: {exc}")
    meta = {**message.meta, **({"refused_files": refused} if refused else {})}
    return replace(message, attachments=(*message.attachments, *files), meta=meta)


async def receive_with_media(inbox: Inbox, message: Inbound, fetch: Fetch) -> Received:
    """Store a message with its files, downloading them only when it is new."""
    existing = await inbox.find(message.channel, message.provider_id)
    if existing is not None:
        return Received(existing, duplicate=True)
    message = await with_media(message, fetch, inbox.store.max_bytes)
    return await inbox.receive(message)


def _too_large(max_bytes: int, size: int) -> str:
    told = f" ({size} bytes)" if size else ""
    return f"the file is larger than the {max_bytes} byte limit{told}; it was not downloaded"
