"""Web chat: the widget script (public) and the visitor's websocket. The socket is public
by design; a visitor is who their signed conversation token says, or whom the pre-chat
form names, and sees only that conversation."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from channels.chat.adapter import Visitor
from channels.chat.session import ChatError, ChatService
from web.context import WebContext

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
sockets = APIRouter()
WIDGET = Path(__file__).resolve().parent.parent / "static" / "chat-widget.js"


@router.get("/widget/chat.js", response_class=FileResponse)
async def widget() -> FileResponse:
    """The embeddable chat widget: ``<script src="/widget/chat.js" defer></script>``."""
    return FileResponse(WIDGET, media_type="text/javascript")


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
                if frame.get("type") == "message":
                    client_id = await chat.message(visitor, frame)
                    await websocket.send_json({"type": "ack", "id": client_id})
                elif frame.get("type") == "typing":
                    await chat.typing(visitor)
            except ChatError as exc:
                await websocket.send_json({"type": "error", "detail": str(exc)})
    except WebSocketDisconnect:
        pass
    finally:
        if visitor is not None:
            chat.leave(visitor, websocket)


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
    await websocket.send_json(
        {
            "type": "ready",
            "token": token,
            "name": visitor.name,
            "ticket": number,
            "history": history,
        }
    )
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
