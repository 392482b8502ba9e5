"""The live event feed for agents' desktops and wallboards: a websocket over the event bus.

``GET /api/events?topics=call.*,acd.*`` upgraded to a websocket; credentials as for the
API (``Authorization: Bearer`` or the session cookie). The server sends
``{"type": "subscribed", "topics": [...]}`` and then ``{"type": "event", "topic", "data",
"at"}`` for each matching event. Refusals close the socket with 4401 (credentials),
4403 (role) or 4400 (topics), the reason naming what was wrong.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from agent_bridge.desktop_feed import allowed_patterns, desktop_feed
from ticketing.access.sessions import COOKIE_NAME
from ticketing.errors import Forbidden, InvalidInput, Unauthenticated
from web.context import WebContext
from web.deps import principal_of

sockets = APIRouter()
CLOSE_CODES: dict[type[Exception], int] = {
    Unauthenticated: 4401,
    Forbidden: 4403,
    InvalidInput: 4400,
}


@sockets.websocket("/api/events")
async def event_feed(websocket: WebSocket, topics: str = "") -> None:
    context: WebContext = websocket.app.state.context
    await websocket.accept()  # first, so that a refusal can carry its code and reason
    authorization = websocket.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    try:
        principal = await principal_of(
            context.ticketing, bearer, websocket.cookies.get(COOKIE_NAME)
        )
        patterns = allowed_patterns(principal, topics.split(","))
    except (Unauthenticated, Forbidden, InvalidInput) as exc:
        await websocket.close(code=CLOSE_CODES[type(exc)], reason=exc.message[:120])
        return
    if context.bus is None:
        await websocket.close(code=1011, reason="this process has no event bus")
        return
    await websocket.send_json({"type": "subscribed", "topics": patterns})
    with contextlib.suppress(WebSocketDisconnect):
        async with desktop_feed(context.bus, patterns) as events:
            async for event in events:
                await websocket.send_json(
                    {"type": "event", "topic": event.topic, "data": event.data, "at": event.at}
                )
