"""A generic HTTP SMS provider: JSON both ways. Inbound webhooks are signed with
``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``; long messages may arrive in
parts (``concat_ref``, ``part``, ``parts``) and are sent in parts the same way."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, Outbound, Sent
from channels.provider_http import post, refused
from channels.settings import SmsSettings
from channels.sms.segments import split
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.phone import normalise_phone

CHANNEL = "sms"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GenericSms:
    name = CHANNEL
    identity = IdentityKind.PHONE
    entry_kind = EntryKind.SMS
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(
        self, settings: SmsSettings, default_region: str, client: httpx.AsyncClient | None = None
    ) -> None:
        self.settings = settings
        self.default_region = default_region
        self.client = client or httpx.AsyncClient(timeout=30)

    def verify(self, body: bytes, given: str) -> bool:
        if not self.settings.webhook_secret or not given:
            return False
        return hmac.compare_digest(sign(self.settings.webhook_secret, body), given)

    def inbound(self, payload: dict[str, Any]) -> Inbound | None:
        sender = normalise_phone(str(payload.get("from", "")), self.default_region)
        message_id = str(payload.get("id", ""))
        if sender is None or not message_id:
            return None
        meta: dict[str, Any] = {"to": str(payload.get("to", ""))}
        if payload.get("concat_ref") is not None:
            meta |= {
                "concat_ref": str(payload["concat_ref"]),
                "part": int(payload.get("part", 1)),
                "parts": int(payload.get("parts", 1)),
            }
        return Inbound(
            channel=CHANNEL,
            provider_id=message_id,
            sender=sender,
            body=str(payload.get("text", "")),
            meta=meta,
        )

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body)

    async def send(self, message: Outbound) -> Sent:
        parts = split(message.body)
        ref = uuid.uuid4().hex[:12]
        ids = []
        for number, text in enumerate(parts, start=1):
            payload: dict[str, Any] = {
                "to": message.recipient,
                "from": self.settings.from_number,
                "text": text,
                "client_ref": f"{message.outbox_id}-{number}",
            }
            if len(parts) > 1:
                payload |= {"concat_ref": ref, "part": number, "parts": len(parts)}
            ids.append(await self._post(payload))
        return Sent(provider_id=ids[0])

    async def _post(self, payload: dict[str, Any]) -> str:
        headers = {"Authorization": f"Bearer {self.settings.api_token}"}
        response = await post(self.client, self.settings.send_url, json=payload, headers=headers)
        if response.status_code >= 400:
            raise refused(response)
        return str(response.json().get("id", ""))

    async def close(self) -> None:
        await self.client.aclose()
