"""Messaging-app webhooks (WhatsApp Cloud API, Telegram Bot API, Viber REST bot API,
Facebook Messenger): public, trusted only when signed; a forged one is refused (403),
logged, and nothing is stored. Pictures and documents are downloaded before the message
is stored, so they are attachments of its entry; a message already stored (the provider
retrying) is not downloaded again."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from channels import optout
from channels.adapter import Inbound
from channels.messaging.media import Fetch, receive_with_media
from channels.messaging.messenger import MessengerAdapter
from channels.messaging.telegram import TelegramAdapter
from channels.messaging.viber import ViberAdapter
from channels.messaging.whatsapp import WhatsAppAdapter
from channels.outbox import read_up_to
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


async def _store(channels: Channels, message: Inbound, fetch: Fetch) -> bool:
    """Store the message with its files (downloaded when it is new); whether it was."""
    return not (await receive_with_media(channels.inbox, message, fetch)).duplicate


def _challenge(request: Request, token: str) -> PlainTextResponse:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    query = request.query_params
    if query.get("hub.mode") == "subscribe" and token and query.get("hub.verify_token") == token:
        return PlainTextResponse(query.get("hub.challenge", ""))
    return PlainTextResponse("verification failed", status_code=403)


@router.get("/whatsapp", response_class=PlainTextResponse)
async def whatsapp_subscribe(request: Request, context: Context) -> PlainTextResponse:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    _, adapter = _adapter(context.channels, "whatsapp", WhatsAppAdapter)
    return _challenge(request, adapter.settings.verify_token)


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
        stored += await _store(channels, message, adapter.fetch)
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
        await _store(channels, message, adapter.fetch)
    return JSONResponse({"ok": True})


@router.post("/viber", response_model=None)
async def viber_inbound(request: Request, context: Context) -> JSONResponse | Response:
    """A Viber bot callback: a message, a delivered / seen / failed receipt, a user
    subscribing, leaving (sent nothing more) or opening the conversation."""
    channels, adapter = _adapter(context.channels, "viber", ViberAdapter)
    body = await request.body()
    if not adapter.verify(body, request.headers.get("X-Viber-Content-Signature", "")):
        return _forged(request, "viber")
    callback = adapter.parse(_object(body))
    stored = False
    if callback.message is not None:
        stored = await _store(channels, callback.message, adapter.fetch)
    elif callback.receipt is not None:
        receipt = callback.receipt
        await channels.outbox.mark("viber", receipt.provider_id, receipt.status, receipt.error)
    elif callback.event in ("unsubscribed", "subscribed") and callback.user_id:
        async with channels.inbox.db.transaction() as session:
            if callback.event == "unsubscribed":
                await optout.stop(session, "viber", callback.user_id, "unsubscribed")
            else:
                await optout.start(session, "viber", callback.user_id)
    if callback.event == "conversation_started":
        return Response(status_code=200)  # a body here would be sent as a welcome message
    return JSONResponse({"event": callback.event, "stored": stored})


@router.get("/messenger", response_class=PlainTextResponse)
async def messenger_subscribe(request: Request, context: Context) -> PlainTextResponse:
    """Meta's subscription check for the page's webhook."""
    _, adapter = _adapter(context.channels, "messenger", MessengerAdapter)
    return _challenge(request, adapter.settings.verify_token)


@router.post("/messenger")
async def messenger_inbound(request: Request, context: Context) -> JSONResponse:
    """Messages, delivery and read receipts from the Messenger Platform."""
    channels, adapter = _adapter(context.channels, "messenger", MessengerAdapter)
    body = await request.body()
    if not adapter.verify(body, request.headers.get("X-Hub-Signature-256", "")):
        return _forged(request, "messenger")
    events = adapter.parse(_object(body))
    stored = 0
    for message in events.messages:
        stored += await _store(channels, message, adapter.fetch)
    for delivery in events.deliveries:
        for mid in delivery.provider_ids:
            await channels.outbox.mark("messenger", mid, delivery.status)
    for read in events.reads:
        async with channels.inbox.db.transaction() as session:
            await read_up_to(session, "messenger", read.psid, read.watermark)
    return JSONResponse({"stored": stored})
