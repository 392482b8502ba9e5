"""Local HTTP servers speaking the SMS providers' documented API shapes (Twilio's Messages
resource, and the generic JSON API), on loopback ports of their own."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.harness import free_port

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "twilio-auth-token-for-tests"
API_TOKEN = "generic-api-token"
WHATSAPP_TOKEN = "whatsapp-access-token"
PHONE_NUMBER_ID = "106540352242922"
BOT_TOKEN = "123456:telegram-bot-token"
TEMPLATES = ("works_notice", "late_reply")  # the business's approved WhatsApp message templates


@dataclass
class Provider:
    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    refuse: int = 0  # an HTTP status to answer sends with, 0 to accept


def provider_app(state: Provider) -> FastAPI:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
    async def twilio_send(sid: str, request: Request) -> JSONResponse:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if sid != ACCOUNT_SID or request.headers.get("Authorization") != f"Basic {expected}":
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        if state.refuse:
            return JSONResponse({"code": 21211, "message": "refused"}, status_code=state.refuse)
        form = dict(await request.form())
        message_sid = "SM" + uuid.uuid4().hex
        state.sent.append({**form, "sid": message_sid})
        return JSONResponse({"sid": message_sid, "status": "queued"}, status_code=201)

    @app.post("/generic/send")
    async def generic_send(request: Request) -> JSONResponse:
        if request.headers.get("Authorization") != f"Bearer {API_TOKEN}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        if state.refuse:
            return JSONResponse({"error": "refused"}, status_code=state.refuse)
        payload = await request.json()
        message_id = uuid.uuid4().hex
        state.sent.append({**payload, "id": message_id})
        return JSONResponse({"id": message_id})

    @app.post("/v19.0/{phone_id}/messages")
    async def whatsapp_send(phone_id: str, request: Request) -> JSONResponse:
        if request.headers.get("Authorization") != f"Bearer {WHATSAPP_TOKEN}":
            return JSONResponse({"error": {"message": "Invalid OAuth", "code": 190}}, 401)
        if phone_id != PHONE_NUMBER_ID:
            return JSONResponse({"error": {"message": "Unknown phone", "code": 100}}, 400)
        payload = await request.json()
        template = payload.get("template", {})
        if payload.get("type") == "template" and template.get("name") not in TEMPLATES:
            error = {"message": "Template name does not exist in the translation", "code": 132001}
            return JSONResponse({"error": error}, 404)
        wamid = "wamid." + uuid.uuid4().hex
        state.sent.append({**payload, "id": wamid})
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    @app.post("/bot{token}/sendMessage")
    async def telegram_send(token: str, request: Request) -> JSONResponse:
        if token != BOT_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        payload = await request.json()
        if state.refuse:
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                403,
            )
        state.sent.append(payload)
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "message_id": len(state.sent),
                    "chat": {"id": payload["chat_id"]},
                    "text": payload["text"],
                },
            }
        )

    return app


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """Serve an ASGI app with uvicorn on a free loopback port; the port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # polled: uvicorn offers no event for it
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_provider() -> AsyncIterator[Provider]:
    state = Provider()
    async with serving(provider_app(state)) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
