"""Telegram Bot API: updates pushed to our webhook carry the secret token we registered
(``X-Telegram-Bot-Api-Secret-Token``); replies go out with ``sendMessage``. A person is
known by their Telegram user id."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, Outbound, SendError, Sent
from channels.settings import TelegramSettings
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry

CHANNEL = "telegram"


class TelegramAdapter:
    name = CHANNEL
    identity = IdentityKind.TELEGRAM
    entry_kind = EntryKind.MESSAGE
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(self, settings: TelegramSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=30)

    def verify(self, given: str) -> bool:
        secret = self.settings.webhook_secret
        return bool(secret and given) and hmac.compare_digest(secret, given)

    def parse(self, update: dict[str, Any]) -> Inbound | None:
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict) or "update_id" not in update:
            return None
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if not sender.get("id") or chat.get("type", "private") != "private":
            return None  # groups and channels are not customer conversations
        name = " ".join(str(sender.get(k, "")) for k in ("first_name", "last_name")).strip()
        text = message.get("text") or message.get("caption") or "(a message without text)"
        return Inbound(
            channel=CHANNEL,
            provider_id=str(update["update_id"]),
            sender=str(sender["id"]),
            sender_name=name or str(sender.get("username", "")),
            body=str(text),
            meta={"chat_id": chat.get("id"), "telegram_message_id": message.get("message_id")},
        )

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body)

    async def send(self, message: Outbound) -> Sent:
        s = self.settings
        url = f"{s.api_base.rstrip('/')}/bot{s.bot_token}/sendMessage"
        try:
            response = await self.client.post(
                url, json={"chat_id": message.recipient, "text": message.body}
            )
        except httpx.HTTPError as exc:
            raise SendError(f"{exc.__class__.__name__}: {exc}") from exc
        answer = _json(response)
        if response.status_code >= 400 or not answer.get("ok"):
            permanent = response.status_code in (400, 403)  # blocked by the user, bad chat
            raise SendError(
                f"HTTP {response.status_code}: {answer.get('description', response.text[:200])}",
                permanent=permanent,
            )
        return Sent(provider_id=f"{message.recipient}:{answer['result']['message_id']}")

    async def close(self) -> None:
        await self.client.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
