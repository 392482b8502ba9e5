"""A ticket's thread (replies, notes, messages) and its attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, UploadFile
from fastapi.responses import FileResponse

from ticketing.thread import NewEntry
from web.convert import attachment_out, entry_out
from web.deps import EntryWriter, PathId, Services, TicketEditor, TicketReader
from web.schemas_tickets import AttachmentOut, EntryIn, EntryOut

router = APIRouter(prefix="/api", tags=["thread"])
CHUNK = 64 * 1024


@router.get("/tickets/{number}/entries")
async def list_entries(number: str, services: Services, actor: TicketReader) -> list[EntryOut]:
    """The thread, oldest first; internal notes are left out for customers."""
    detail = await services.queries.detail(actor, number)
    return [entry_out(e) for e in detail.entries]


@router.post("/tickets/{number}/entries", status_code=201)
async def add_entry(number: str, body: EntryIn, services: Services, actor: EntryWriter) -> EntryOut:
    """Add a public reply, an internal note, or a message that came in on a channel."""
    entry = await services.thread.add(
        actor,
        number,
        NewEntry(kind=body.kind, body=body.body, channel=body.channel, direction=body.direction),
    )
    return entry_out(entry)


@router.post(
    "/tickets/{number}/attachments",
    status_code=201,
    responses={413: {"description": "Over the size limit"}},
)
async def add_attachment(
    number: str, file: UploadFile, services: Services, actor: TicketEditor
) -> AttachmentOut:
    """Attach a file (multipart field ``file``); its type, size and name are checked.
    The whole request is capped (see ``web.limits``), the file itself while it is stored."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(CHUNK):
            yield chunk

    attachment = await services.attachments.add(actor, number, file.filename or "", chunks())
    return attachment_out(attachment)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
async def download_attachment(
    attachment_id: PathId, services: Services, actor: TicketReader
) -> FileResponse:
    attachment, path = await services.attachments.open(actor, attachment_id)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )
