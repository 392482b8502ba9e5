"""The files of an agent's reply on a messaging app: listed in the outbox row's meta when
the reply is composed (``files_meta``) and read back by the adapter that sends them
(``reply_files``); the reply's text goes with them as a caption where the app allows."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Outbound, SendError
from ticketing.attachments import AttachmentStore
from ticketing.models import Attachment, TicketEntry

PICTURE_TYPES = frozenset({"image/jpeg", "image/png"})  # shown inline by every app


@dataclass(frozen=True)
class ReplyFile:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str

    @property
    def is_picture(self) -> bool:
        return self.content_type in PICTURE_TYPES


async def files_meta(session: AsyncSession, entry: TicketEntry) -> dict[str, Any]:
    """``{"files": [...]}`` for a reply carrying files, else nothing."""
    rows = await session.exec(
        select(Attachment).where(Attachment.entry_id == entry.id).order_by(col(Attachment.id))
    )
    files = [
        asdict(ReplyFile(a.id, a.filename, a.content_type, a.size, a.sha256))
        for a in rows.all()
        if a.id is not None
    ]
    return {"files": files} if files else {}


def reply_files(meta: dict[str, Any]) -> list[ReplyFile]:
    return [ReplyFile(**f) for f in meta.get("files", []) if isinstance(f, dict)]


def caption(body: str, files: list[ReplyFile]) -> str:
    """The reply's text to send with its files: none when it only names the file."""
    text = body.strip()
    return "" if any(text == f.filename for f in files) else text


def one_part(message: Outbound, body: str, media: dict[str, Any] | None) -> Outbound:
    """One of the messages a reply with files becomes: its text, or one file by URL
    (``meta["media"]``, as the adapters that link to files send it)."""
    meta = {"media": media} if media is not None else {}
    return Outbound(message.outbox_id, message.recipient, "", body, meta)


async def read_file(store: AttachmentStore | None, file: ReplyFile) -> bytes:
    """A reply's file from the attachment store, for adapters that upload it."""
    if store is None:
        raise SendError("no attachment store to read the reply's file from", permanent=True)
    try:
        return await asyncio.to_thread(store.path(file.sha256).read_bytes)
    except OSError as exc:
        raise SendError(f"{file.filename} is missing from the store", permanent=True) from exc
