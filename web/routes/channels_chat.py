"""Web chat: the widget script (public) and the visitor's websocket. The socket is public
by design; a visitor is who their signed conversation token says, or whom the pre-chat
form names, and sees only that conversation."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from pydantic import BaseModel

from channels.chat.adapter import Visitor
from channels.chat.session import ChatError, ChatService
from ticketing.access.roles import Principal
from ticketing.errors import Forbidden, InvalidInput, NotFound
from web.context import WebContext
from web.deps import CallReader, Context
from web.schemas import Input


class PresenceIn(Input):
    available: bool


class PresenceOut(BaseModel):
    available: bool
    users: list[int]


class ChatFileOut(BaseModel):
    entry_id: int
    filename: str


async def chat_agent(actor: CallReader) -> Principal:
    """Staff (agents, supervisors, admins): the people who answer chats."""
    if not actor.is_staff:
        raise Forbidden("chat is answered by the desk's staff")
    return actor


ChatAgent = Annotated[Principal, Depends(chat_agent)]

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
sockets = APIRouter()
WIDGET = FilePath(__file__).resolve().parent.parent / "static" / "chat-widget.js"


@router.get("/widget/chat.js", response_class=FileResponse)
async def widget() -> FileResponse:
    """The embeddable chat widget: ``<script src="/widget/chat.js" defer></script>``."""
    return FileResponse(WIDGET, media_type="text/javascript")


def _chat(context: WebContext) -> ChatService:
    if context.channels is None or context.channels.chat is None:
        raise NotFound("web chat is not enabled")
    return context.channels.chat


@router.get("/api/channels/chat/files/{token}", response_class=FileResponse)
async def chat_file(token: Annotated[str, Path(max_length=200)], context: Context) -> FileResponse:
    """A file of a chat, for the visitor, by the signed link the chat gave them."""
    attachment, path = await _chat(context).open_file(token)
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.filename)


@router.post("/api/channels/chat/tickets/{number}/files", status_code=201)
async def send_chat_file(
    number: str, file: UploadFile, context: Context, actor: ChatAgent
) -> ChatFileOut:
    """Send a file to the visitor: a chat reply carrying it (the ticket's attachment
    rules apply), pushed to the conversation by the outbox."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(64 * 1024):
            yield chunk

    entry = await _chat(context).send_file(actor, number, file.filename or "", chunks())
    assert entry.id is not None
    return ChatFileOut(entry_id=entry.id, filename=entry.body)


@router.get("/api/channels/chat/presence")
async def chat_presence(context: Context, _actor: ChatAgent) -> PresenceOut:
    """Whether visitors can reach an agent now, and who said they are available."""
    chat = _chat(context)
    return PresenceOut(
        available=await chat.agents_available(), users=await chat.desk_presence.agents()
    )


@router.put("/api/channels/chat/presence")
async def set_chat_presence(body: PresenceIn, context: Context, actor: ChatAgent) -> PresenceOut:
    """An agent is available for chat (renewed before `chat.presence_lease_seconds`,
    two minutes by default, run out) or not any more. Open widgets are told."""
    if actor.user_id is None:
        raise InvalidInput("presence is for signed-in agents: use a user's token")
    chat = _chat(context)
    await chat.desk_presence.set(actor.user_id, body.available)
    return PresenceOut(
        available=await chat.agents_available(), users=await chat.desk_presence.agents()
    )


@sockets.websocket("/api/channels/chat/ws")
async def chat_socket(websocket: WebSocket) -> None:
    context: WebContext = websocket.app.state.context
    chat = context.channels.chat if context.channels is not None else None
    await websocket.accept()
    if chat is None:
        await websocket.send_json({"type": "error", "detail": "chat is not enabled"})
        await websocket.close(code=4404)
        return
    visitor: Visitor | None = None
    try:
        visitor = await _hello(websocket, chat)
        if visitor is None:
            return
        chat.join(visitor, websocket)
        while True:
            frame = await _frame(websocket)
            if frame is None:
                continue
            try:
                await _handle(websocket, chat, visitor, frame)
            except ChatError as exc:
                error = {"type": "error", "detail": str(exc)}
                if isinstance(frame.get("id"), str):
                    error["id"] = frame["id"][:64]
                await websocket.send_json(error)
    except WebSocketDisconnect:
        pass
    finally:
        if visitor is not None:
            chat.leave(visitor, websocket)


async def _handle(
    websocket: WebSocket, chat: ChatService, visitor: Visitor, frame: dict[str, Any]
) -> None:
    kind = frame.get("type")
    if kind in ("message", "file"):
        step = chat.message if kind == "message" else chat.file
        client_id, replies = await step(visitor, frame)
        await websocket.send_json({"type": "ack", "id": client_id})
        for reply in replies:
            await websocket.send_json(reply.frame())
    elif kind == "leave_message":
        client_id, number = await chat.leave_message(visitor, frame)
        await websocket.send_json({"type": "filed", "id": client_id, "ticket": number})
    elif kind == "typing":
        await chat.typing(visitor)


async def _hello(websocket: WebSocket, chat: ChatService) -> Visitor | None:
    frame = await _frame(websocket)
    if frame is None or frame.get("type") != "hello":
        await websocket.close(code=4400, reason="say hello first")
        return None
    try:
        token, visitor = await chat.hello(frame)
    except ChatError as exc:
        await websocket.send_json({"type": "error", "detail": str(exc)})
        await websocket.close(code=4400)
        return None
    number, history = await chat.history(visitor)
    await chat.resumed(visitor, number)
    await websocket.send_json(
        {
            "type": "ready",
            "token": token,
            "name": visitor.name,
            "ticket": number,
            "history": history,
            "agents": await chat.agents_available(),
            "bot": chat.bot is not None,
            "language": chat.language(visitor),
            "max_file_bytes": chat.inbox.store.max_bytes,
        }
    )
    greeting = await chat.greeting(visitor)
    if greeting is not None and not history:
        await websocket.send_json(greeting.frame())
    return visitor


async def _frame(websocket: WebSocket) -> dict[str, Any] | None:
    text = await websocket.receive_text()
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        await websocket.send_json({"type": "error", "detail": "frames are JSON objects"})
        return None
    return frame
