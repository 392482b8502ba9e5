"""Messaging-app webhooks (WhatsApp Cloud API, Telegram Bot API): public, trusted only
when signed; a forged one is refused (403), logged, and nothing is stored."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from channels.messaging.telegram import TelegramAdapter
from channels.messaging.whatsapp import WhatsAppAdapter
from channels.service import Channels
from ticketing.errors import NotFound
from web.deps import Context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/channels", tags=["channels"])
T = TypeVar("T")


def _adapter(channels: Channels | None, name: str, kind: type[T]) -> tuple[Channels, T]:
    adapter = channels.adapters.get(name) if channels is not None else None
    if channels is None or not isinstance(adapter, kind):
        raise NotFound(f"{name} is not configured")
    return channels, adapter


def _forged(request: Request, provider: str) -> JSONResponse:
    client = request.client.host if request.client else "?"
    log.warning("refused a %s webhook from %s: bad signature", provider, client)
    return JSONResponse({"detail": "invalid signature"}, status_code=403)


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@router.get("/whatsapp", response_class=PlainTextResponse)
async def whatsapp_subscribe(request: Request, context: Context) -> PlainTextResponse:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    _, adapter = _adapter(context.channels, "whatsapp", WhatsAppAdapter)
    query = request.query_params
    token = adapter.settings.verify_token
    if query.get("hub.mode") == "subscribe" and token and query.get("hub.verify_token") == token:
        return PlainTextResponse(query.get("hub.challenge", ""))
    return PlainTextResponse("verification failed", status_code=403)


@router.post("/whatsapp")
async def whatsapp_inbound(request: Request, context: Context) -> JSONResponse:
    """Messages and delivery/read statuses from the WhatsApp Cloud API."""
    channels, adapter = _adapter(context.channels, "whatsapp", WhatsAppAdapter)
    body = await request.body()
    if not adapter.verify(body, request.headers.get("X-Hub-Signature-256", "")):
        return _forged(request, "whatsapp")
    messages, statuses = adapter.parse(_object(body))
    stored = 0
    for message in messages:
        stored += not (await channels.inbox.receive(message)).duplicate
    for status in statuses:
        await channels.outbox.mark("whatsapp", status.provider_id, status.status, status.error)
    return JSONResponse({"stored": stored, "statuses": len(statuses)})


@router.post("/telegram")
async def telegram_inbound(request: Request, context: Context) -> JSONResponse:
    """An update from the Telegram Bot API (the webhook's secret token in its header)."""
    channels, adapter = _adapter(context.channels, "telegram", TelegramAdapter)
    if not adapter.verify(request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")):
        return _forged(request, "telegram")
    message = adapter.parse(_object(await request.body()))
    if message is not None:
        await channels.inbox.receive(message)
    return JSONResponse({"ok": True})
