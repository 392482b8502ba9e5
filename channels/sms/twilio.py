"""A Twilio-compatible SMS provider: signed form webhooks in (X-Twilio-Signature:
base64 HMAC-SHA1 of the URL and the sorted parameters), the Messages REST API out."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, Outbound, Sent
from channels.provider_http import post, refused
from channels.settings import SmsSettings
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.phone import normalise_phone

CHANNEL = "sms"


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioSms:
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

    def verify(self, url: str, params: Mapping[str, str], given: str) -> bool:
        if not self.settings.auth_token or not given:
            return False
        expected = signature(self.settings.auth_token, url, params)
        return hmac.compare_digest(expected, given)

    def inbound(self, params: Mapping[str, str]) -> Inbound | None:
        """The message of a verified webhook; None when it carries no usable sender."""
        sender = normalise_phone(params.get("From", ""), self.default_region)
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if sender is None or not sid:
            return None
        return Inbound(
            channel=CHANNEL,
            provider_id=sid,
            sender=sender,
            body=params.get("Body", ""),
            meta={"to": params.get("To", ""), "segments": params.get("NumSegments", "1")},
        )

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body)

    async def send(self, message: Outbound) -> Sent:
        s = self.settings
        url = f"{s.api_base.rstrip('/')}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        form = {"To": message.recipient, "From": s.from_number, "Body": message.body}
        if s.webhook_base_url:
            form["StatusCallback"] = (
                f"{s.webhook_base_url.rstrip('/')}/api/channels/sms/twilio/status"
            )
        response = await post(self.client, url, data=form, auth=(s.account_sid, s.auth_token))
        if response.status_code >= 400:
            raise refused(response, _error(response))
        return Sent(provider_id=str(response.json().get("sid", "")))

    async def close(self) -> None:
        await self.client.aclose()


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", response.text))[:300]
    except ValueError:
        return response.text[:300]
