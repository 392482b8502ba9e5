"""SMS provider webhooks: public, and trusted only when their signature checks out. A
forged one is refused (403), logged, and nothing is stored; a replay is acknowledged as
a duplicate. The provider is answered only after the message is committed."""

from __future__ import annotations

import json
import logging
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from channels.adapter import Inbound
from channels.inbox import Inbox
from channels.service import Channels
from channels.sms.generic import GenericSms
from channels.sms.twilio import TwilioSms
from ticketing.errors import NotFound
from web.deps import Context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/channels/sms", tags=["channels"])
T = TypeVar("T")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _adapter(context_channels: Channels | None, kind: type[T]) -> tuple[Channels, T]:
    adapter = context_channels.adapters.get("sms") if context_channels else None
    if context_channels is None or not isinstance(adapter, kind):
        raise NotFound("this SMS provider is not configured")
    return context_channels, adapter


def _forged(request: Request, provider: str) -> JSONResponse:
    client = request.client.host if request.client else "?"
    log.warning("refused an SMS webhook (%s) from %s: bad signature", provider, client)
    return JSONResponse({"detail": "invalid signature"}, status_code=403)


async def _twilio_params(request: Request, adapter: TwilioSms) -> dict[str, str] | None:
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    base = adapter.settings.webhook_base_url.rstrip("/")
    url = f"{base}{request.url.path}" if base else str(request.url)
    given = request.headers.get("X-Twilio-Signature", "")
    return params if adapter.verify(url, params, given) else None


@router.post("/twilio", response_class=Response)
async def twilio_inbound(request: Request, context: Context) -> Response:
    """An SMS from a Twilio-compatible provider (form-encoded, signed)."""
    channels, adapter = _adapter(context.channels, TwilioSms)
    params = await _twilio_params(request, adapter)
    if params is None:
        return _forged(request, "twilio")
    message = adapter.inbound(params)
    if message is not None:
        await _store(channels.inbox, message)
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/twilio/status")
async def twilio_status(request: Request, context: Context) -> JSONResponse:
    """A delivery report for a message we sent."""
    channels, adapter = _adapter(context.channels, TwilioSms)
    params = await _twilio_params(request, adapter)
    if params is None:
        return _forged(request, "twilio")
    known = await channels.outbox.mark(
        "sms",
        params.get("MessageSid", ""),
        params.get("MessageStatus", ""),
        params.get("ErrorCode", ""),
    )
    return JSONResponse({"known": known})


async def _generic_payload(request: Request, adapter: GenericSms) -> dict[str, object] | None:
    body = await request.body()
    if not adapter.verify(body, request.headers.get("X-Signature", "")):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    return payload if isinstance(payload, dict) else {}


@router.post("/generic")
async def generic_inbound(request: Request, context: Context) -> JSONResponse:
    """An SMS (or one part of a long one) from the generic JSON provider."""
    channels, adapter = _adapter(context.channels, GenericSms)
    payload = await _generic_payload(request, adapter)
    if payload is None:
        return _forged(request, "generic")
    message = adapter.inbound(payload)
    if message is None:
        return JSONResponse({"detail": "need id, from and text"}, status_code=422)
    duplicate = await _store(channels.inbox, message)
    return JSONResponse({"status": "duplicate" if duplicate else "stored"})


@router.post("/generic/status")
async def generic_status(request: Request, context: Context) -> JSONResponse:
    """A delivery report: ``{"id": ..., "status": "delivered" | "failed", "error": ...}``."""
    channels, adapter = _adapter(context.channels, GenericSms)
    payload = await _generic_payload(request, adapter)
    if payload is None:
        return _forged(request, "generic")
    known = await channels.outbox.mark(
        "sms",
        str(payload.get("id", "")),
        str(payload.get("status", "")),
        str(payload.get("error", "")),
    )
    return JSONResponse({"known": known})


async def _store(inbox: Inbox, message: Inbound) -> bool:
    return (await inbox.receive(message)).duplicate
