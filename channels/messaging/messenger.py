"""Facebook Messenger Platform: webhooks signed with ``X-Hub-Signature-256`` (HMAC-SHA256
of the raw body with the app secret), messages (text and attachments by URL), delivery
and read receipts in; replies out through the Send API (``/v{n}/me/messages``). A person
is known by their page-scoped id (PSID).

A reply's file goes as an attachment Messenger fetches from the desk's signed, expiring
link (``channels.public_base_url``); an attachment carries no text, so the reply's text
goes first as a message of its own."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, InboundAttachment, Outbound, SendError, Sent
from channels.media_links import MediaLinks
from channels.messaging.media import MediaError, download, file_name, media_item
from channels.outgoing_files import caption, files_meta, one_part, reply_files
from channels.provider_http import post, refused
from channels.settings import MessengerSettings
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry

CHANNEL = "messenger"
MEDIA_TYPES = ("image", "file", "audio", "video")
# Graph API error codes after which retrying cannot help (bad parameter, no permission,
# bad token, the person is not available)
PERMANENT = {10, 100, 190, 200, 551}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    provider_ids: tuple[str, ...]  # the mids delivered
    status: str  # delivered


@dataclass(frozen=True)
class Read:
    psid: str  # the person who read
    watermark: datetime  # everything sent to them before this was read


@dataclass(frozen=True)
class Events:
    messages: list[Inbound]
    deliveries: list[Delivery]
    reads: list[Read]


class MessengerAdapter:
    name = CHANNEL
    identity = IdentityKind.MESSENGER
    entry_kind = EntryKind.MESSAGE
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(
        self,
        settings: MessengerSettings,
        client: httpx.AsyncClient | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=30)
        self.links = links

    def verify(self, body: bytes, given: str) -> bool:
        if not self.settings.app_secret or not given:
            return False
        return hmac.compare_digest(sign(self.settings.app_secret, body), given)

    def parse(self, payload: dict[str, Any]) -> Events:
        events = Events([], [], [])
        if payload.get("object") != "page":
            return events
        for item in _messaging(payload):
            psid = str((item.get("sender") or {}).get("id", ""))
            if isinstance(item.get("message"), dict) and psid:
                message = self._message(psid, item["message"])
                if message is not None:
                    events.messages.append(message)
            elif isinstance(item.get("delivery"), dict):
                mids = tuple(str(m) for m in item["delivery"].get("mids", []))
                events.deliveries.append(Delivery(mids, "delivered"))
            elif isinstance(item.get("read"), dict) and psid:
                watermark = int(item["read"].get("watermark") or 0)
                events.reads.append(Read(psid, datetime.fromtimestamp(watermark / 1000, UTC)))
        return events

    def _message(self, psid: str, message: dict[str, Any]) -> Inbound | None:
        if message.get("is_echo") or not message.get("mid"):
            return None  # our own replies, echoed back to the page
        media = []
        for n, attachment in enumerate(message.get("attachments") or []):
            if not isinstance(attachment, dict) or attachment.get("type") not in MEDIA_TYPES:
                continue
            url = str((attachment.get("payload") or {}).get("url", ""))
            if url:
                media.append({**media_item(url), "fallback": f"{attachment['type']}-{n}"})
        return Inbound(
            channel=CHANNEL,
            provider_id=str(message["mid"]),
            sender=psid,
            body=str(message.get("text") or ""),
            meta={"media": media},
        )

    async def fetch(self, item: dict[str, Any], max_bytes: int) -> InboundAttachment:
        """An attachment: the webhook carries its URL on Meta's content servers."""
        url = str(item.get("key", ""))
        if not url.startswith(("http://", "https://")):
            raise MediaError("the attachment names no file to download")
        data, content_type = await download(self.client, url, max_bytes=max_bytes)
        in_url = url.split("?")[0].rsplit("/", 1)[-1]
        fallback = in_url if "." in in_url else str(item.get("fallback") or "attachment")
        return InboundAttachment(file_name("", content_type, fallback), content_type, data)

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body, meta=await files_meta(session, entry))

    def payload(self, message: Outbound) -> dict[str, Any]:
        """A Send API body: text, or an attachment when ``meta["media"]`` names one by URL
        (``url``, ``type``: image, file, audio or video)."""
        media = message.meta.get("media")
        if isinstance(media, dict):
            content: dict[str, Any] = {
                "attachment": {
                    "type": media.get("type", "file"),
                    "payload": {"url": media["url"], "is_reusable": True},
                }
            }
        else:
            content = {"text": message.body}
        return {
            "recipient": {"id": message.recipient},
            "messaging_type": "RESPONSE",
            "message": content,
        }

    async def send(self, message: Outbound) -> Sent:
        files = reply_files(message.meta)
        if not files:
            return await self._post(self.payload(message))
        if self.links is None:
            raise SendError(
                "Messenger fetches files from the desk: set channels.public_base_url",
                permanent=True,
            )
        sent = None
        text = caption(message.body, files)
        if text:
            sent = await self._post(self.payload(one_part(message, text, None)))
        for file in files:
            media = {
                "type": "image" if file.is_picture else "file",
                "url": self.links.url(file.id, file.filename),
            }
            sent = await self._post(self.payload(one_part(message, "", media)))
        assert sent is not None
        return sent

    async def _post(self, payload: dict[str, Any]) -> Sent:
        s = self.settings
        url = f"{s.api_base.rstrip('/')}/{s.api_version}/me/messages"
        response = await post(
            self.client, url, json=payload, params={"access_token": s.page_access_token}
        )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400 or "message_id" not in answer:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            code = int(error.get("code") or 0)
            raise refused(response, str(error.get("message", "")), permanent=code in PERMANENT)
        return Sent(provider_id=str(answer["message_id"]))

    async def close(self) -> None:
        await self.client.aclose()


def _messaging(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in payload.get("entry", []) if isinstance(payload.get("entry"), list) else []:
        for item in entry.get("messaging", []) if isinstance(entry, dict) else []:
            if isinstance(item, dict):
                yield item
