"""Checks on every request before the app sees it: a cap on the body, enforced while it
arrives (413 before anything is spooled), and no NUL characters in the URL (databases
refuse them in text, so they would otherwise surface as server errors)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url = (scope.get("raw_path") or b"") + b"?" + (scope.get("query_string") or b"")
        if b"%00" in url or b"\x00" in url:
            await _respond(send, 400, "NUL characters are not allowed in the URL")
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(send, declared.isdigit())
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, True)

    async def _refuse(self, send: Send, too_large: bool) -> None:
        if too_large:
            detail = f"the request is larger than the limit of {self.max_bytes} bytes"
            await _respond(send, 413, detail)
        else:
            await _respond(send, 400, "invalid Content-Length header")


async def _respond(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
