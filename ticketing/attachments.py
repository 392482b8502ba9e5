"""Attachments: files on tickets, stored once per content under their SHA-256.

The bytes go to ``<state_dir>/attachments/ab/cd/<sha256>``; the database keeps the name
people gave the file (checked: no paths, no control characters), its size and its type.
The type comes from the extension and must be allowed; for formats with a signature the
first bytes must match it, so a renamed executable is not served as a picture.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.errors import InvalidInput, NotFound, TooLarge
from ticketing.models import Attachment, Ticket
from ticketing.scope import ticket_scope
from ticketing.tickets import load_ticket

TYPES_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "audio/wav": (b"RIFF",),
}
MAX_NAME = 200


def safe_filename(raw: str) -> str:
    """The name as given when it is a plain file name; InvalidInput for anything else."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise InvalidInput("the file needs a name")
    bad = (
        "/" in name
        or "\\" in name
        or name in (".", "..")
        or name.startswith(".")
        or any(unicodedata.category(ch).startswith("C") for ch in name)
        or PurePosixPath(name).name != name
    )
    if bad:
        raise InvalidInput(f"unsafe file name {raw!r}: give a plain name without folders")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"file names are at most {MAX_NAME} characters")
    return name


class AttachmentStore:
    """Content-addressed files under ``root``."""

    def __init__(self, root: Path, max_bytes: int, allowed_types: frozenset[str]) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def content_type(self, filename: str) -> str:
        extension = os.path.splitext(filename)[1].lower()
        content_type = TYPES_BY_EXTENSION.get(extension)
        if content_type is None or content_type not in self.allowed_types:
            allowed = sorted(e for e, t in TYPES_BY_EXTENSION.items() if t in self.allowed_types)
            kind = extension or "(none)"
            raise InvalidInput(
                f"files of type {kind} are not accepted; allowed: {', '.join(allowed)}"
            )
        return content_type

    async def put(self, chunks: AsyncIterator[bytes], content_type: str) -> tuple[str, int]:
        """Store the stream; its SHA-256 and size. TooLarge past the limit (nothing kept)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        tmp = self.root / f".upload-{os.getpid()}-{id(chunks)}"
        try:
            with tmp.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(
                            f"the file is larger than the limit of {self.max_bytes} bytes"
                        )
                    if len(head) < 16:
                        head = (head + chunk)[:16]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput("the file is empty")
            signatures = SIGNATURES.get(content_type)
            if signatures and not head.startswith(signatures):
                raise InvalidInput(f"the file's content is not {content_type}")
            sha = digest.hexdigest()
            target = self.path(sha)
            if target.exists():
                tmp.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp.replace(target)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredFile:
    """A file's bytes in the store, checked, not yet attached to a ticket."""

    filename: str
    content_type: str
    sha256: str
    size: int


class AttachmentService:
    def __init__(self, db: Database, store: AttachmentStore) -> None:
        self.db = db
        self.store = store

    async def add(
        self, actor: Principal, number: str, filename: str, chunks: AsyncIterator[bytes]
    ) -> Attachment:
        stored = await self.store_for(actor, number, filename, chunks)
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number)
            return await self.attach(session, actor, ticket, stored)

    async def store_for(
        self, actor: Principal, number: str, filename: str, chunks: AsyncIterator[bytes]
    ) -> StoredFile:
        """Check the name and type and the actor's access to the ticket before taking the
        bytes, then store them (the size and content checks run while they arrive)."""
        name = safe_filename(filename)
        content_type = self.store.content_type(name)
        async with self.db.session() as session:
            await load_ticket(self.db, session, actor, number)
        sha, size = await self.store.put(chunks, content_type)
        return StoredFile(name, content_type, sha, size)

    async def attach(
        self,
        session: AsyncSession,
        actor: Principal,
        ticket: Ticket,
        stored: StoredFile,
        entry_id: int | None = None,
    ) -> Attachment:
        """The stored file on ``ticket`` (and on one of its entries), audited, in the
        caller's transaction."""
        assert ticket.id is not None
        attachment = Attachment(
            ticket_id=ticket.id,
            entry_id=entry_id,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
            filename=stored.filename,
            uploaded_by_id=actor.user_id,
        )
        session.add(attachment)
        await session.flush()
        audit(session, actor, "attachment.add", "ticket", ticket.number, after=snapshot(attachment))
        return attachment

    async def open(self, actor: Principal, attachment_id: int) -> tuple[Attachment, Path]:
        async with self.db.session() as session:
            statement = (
                select(Attachment)
                .join(Ticket, Ticket.id == Attachment.ticket_id)  # type: ignore[arg-type]
                .where(Attachment.id == attachment_id, *ticket_scope(actor))
            )
            attachment = (await session.exec(statement)).first()
        if attachment is None:
            raise NotFound(f"attachment {attachment_id} not found")
        path = self.store.path(attachment.sha256)
        if not path.is_file():
            raise NotFound(f"the file of attachment {attachment_id} is missing from the store")
        return attachment, path

    async def of_ticket(self, ticket_id: int) -> list[Attachment]:
        async with self.db.session() as session:
            statement = (
                select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)  # type: ignore[arg-type]
            )
            return list((await session.exec(statement)).all())
