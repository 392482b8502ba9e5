"""Files in agents' replies on the customer channels: an agent sends one on a messaging
app (a reply entry carrying it, sent by the outbox), and a provider fetches one by the
signed, expiring link the desk gave it (public: the signature is the credential)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, Path, UploadFile
from fastapi.responses import FileResponse

from channels.file_replies import FileReplies
from ticketing.attachments import safe_filename
from ticketing.errors import NotFound
from web.context import WebContext
from web.deps import Context, PathId
from web.routes.channels_chat import ChatAgent, ChatFileOut

router = APIRouter(prefix="/api/channels", tags=["channels"])
CHUNK = 64 * 1024


def _replies(context: WebContext) -> FileReplies:
    if context.channels is None:
        raise NotFound("no customer channels are configured")
    return context.channels.file_replies


@router.post("/{channel}/tickets/{number}/files", status_code=201)
async def send_file(
    channel: Annotated[str, Path(max_length=32)],
    number: str,
    file: UploadFile,
    context: Context,
    actor: ChatAgent,
    text: Annotated[str, Form(max_length=4000)] = "",
) -> ChatFileOut:
    """Reply with a file (multipart field ``file``, optional ``text``) by email, web chat,
    WhatsApp, Telegram, Viber or Messenger: an attachment of the mail, or a picture or
    document on the app, with the text where the app allows. The ticket's attachment
    rules apply."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(CHUNK):
            yield chunk

    replies = _replies(context)
    entry = await replies.send(actor, number, channel, file.filename or "", chunks(), text)
    assert entry.id is not None
    return ChatFileOut(entry_id=entry.id, filename=safe_filename(file.filename or ""))


@router.get(
    "/media/{attachment_id}/{expires}/{signature}/{filename}",
    response_class=FileResponse,
    responses={403: {"description": "The link was changed or has expired"}},
)
async def linked_file(
    attachment_id: PathId,
    expires: Annotated[str, Path(max_length=20)],
    signature: Annotated[str, Path(max_length=128)],
    filename: Annotated[str, Path(max_length=300)],
    context: Context,
) -> FileResponse:
    """A reply's file, for the messaging app fetching it by the link the desk signed."""
    attachment, path = await _replies(context).open_linked(attachment_id, expires, signature)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )
