"""Viber REST bot API: callbacks signed with ``X-Viber-Content-Signature`` (HMAC-SHA256 of
the raw body with the auth token, hex); messages in (text, pictures, files), delivered /
seen / failed receipts onto the reply they concern; text, pictures and files out through
``/pa/send_message``. A person is known by their Viber user id.

Viber fetches a reply's file from a URL: the desk's signed, expiring link to it
(``channels.public_base_url``). A picture carries the reply's text when it fits (120
characters); otherwise the text goes first as a message of its own."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, InboundAttachment, Outbound, SendError, Sent
from channels.media_links import MediaLinks
from channels.messaging.media import MediaError, download, file_name, media_item
from channels.outgoing_files import ReplyFile, caption, files_meta, one_part, reply_files
from channels.provider_http import post, refused
from channels.settings import ViberSettings
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry

CHANNEL = "viber"
MEDIA_TYPES = ("picture", "video", "file")
RECEIPTS = {"delivered": "delivered", "seen": "read", "failed": "failed"}
PICTURE_TEXT = 120  # the most text a picture message carries
# send_message status codes after which retrying cannot help
PERMANENT = {1, 2, 3, 4, 5, 6, 7, 10, 11, 13}


def sign(auth_token: str, body: bytes) -> str:
    return hmac.new(auth_token.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Receipt:
    provider_id: str  # the message_token send_message answered with
    status: str  # delivered, read, failed
    error: str


@dataclass(frozen=True)
class Callback:
    """What one callback carries: at most one message or receipt, or a (un)subscription."""

    message: Inbound | None = None
    receipt: Receipt | None = None
    event: str = ""
    user_id: str = ""


class ViberAdapter:
    name = CHANNEL
    identity = IdentityKind.VIBER
    entry_kind = EntryKind.MESSAGE
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(
        self,
        settings: ViberSettings,
        client: httpx.AsyncClient | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=30)
        self.links = links

    def verify(self, body: bytes, given: str) -> bool:
        if not self.settings.auth_token or not given:
            return False
        return hmac.compare_digest(sign(self.settings.auth_token, body), given.lower())

    def parse(self, payload: dict[str, Any]) -> Callback:
        event = str(payload.get("event", ""))
        token = str(payload.get("message_token", ""))
        if event == "message":
            return Callback(message=self._message(payload, token), event=event)
        if event in RECEIPTS and token:
            receipt = Receipt(token, RECEIPTS[event], str(payload.get("desc", "")))
            return Callback(receipt=receipt, event=event, user_id=str(payload.get("user_id", "")))
        user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
        return Callback(event=event, user_id=str(payload.get("user_id") or user.get("id") or ""))

    def _message(self, payload: dict[str, Any], token: str) -> Inbound | None:
        sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        if not sender.get("id") or not token:
            return None
        kind = str(message.get("type", ""))
        media = []
        if kind in MEDIA_TYPES and message.get("media"):
            name = str(message.get("file_name", ""))
            media.append(media_item(str(message["media"]), name))
        text = str(message.get("text") or "")
        if not text:
            text = f"({kind} message)" if kind not in MEDIA_TYPES else ""
        language = str(sender.get("language", ""))[:2]
        return Inbound(
            channel=CHANNEL,
            provider_id=token,
            sender=str(sender["id"]),
            sender_name=str(sender.get("name", "")),
            body=text,
            meta={"type": kind, "language": language, "media": media},
        )

    async def fetch(self, item: dict[str, Any], max_bytes: int) -> InboundAttachment:
        """A picture or file: Viber gives a direct URL to it."""
        url = str(item.get("key", ""))
        if not url.startswith(("http://", "https://")):
            raise MediaError("the message names no file to download")
        data, content_type = await download(self.client, url, max_bytes=max_bytes)
        name = file_name(str(item.get("filename", "")), content_type, url.rsplit("/", 1)[-1])
        return InboundAttachment(name, content_type, data)

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body, meta=await files_meta(session, entry))

    def payload(self, message: Outbound) -> dict[str, Any]:
        """The send_message body: text, or a picture / file when ``meta["media"]`` names
        one by URL (``url``, ``type``: picture or file, ``file_name``, ``size``)."""
        payload: dict[str, Any] = {
            "receiver": message.recipient,
            "min_api_version": 1,
            "sender": {"name": self.settings.sender_name[:28]},
            "tracking_data": f"outbox:{message.outbox_id}",
        }
        media = message.meta.get("media")
        if not isinstance(media, dict):
            return {**payload, "type": "text", "text": message.body}
        if media.get("type") == "picture":
            return {**payload, "type": "picture", "text": message.body[:120], "media": media["url"]}
        return {
            **payload,
            "type": "file",
            "media": media["url"],
            "size": int(media.get("size") or 0),
            "file_name": str(media.get("file_name") or "file")[:256],
        }

    async def send(self, message: Outbound) -> Sent:
        files = reply_files(message.meta)
        if not files:
            return await self._post(self.payload(message))
        if self.links is None:
            raise SendError(
                "Viber fetches files from the desk: set channels.public_base_url", permanent=True
            )
        text = caption(message.body, files)
        with_picture = files[0].is_picture and len(text) <= PICTURE_TEXT
        sent = None
        if text and not with_picture:
            sent = await self._post(self.payload(one_part(message, text, None)))
        for n, file in enumerate(files):
            said = text if n == 0 and with_picture else ""
            sent = await self._post(self.payload(one_part(message, said, self._media(file))))
        assert sent is not None
        return sent

    def _media(self, file: ReplyFile) -> dict[str, Any]:
        assert self.links is not None
        return {
            "type": "picture" if file.is_picture else "file",
            "url": self.links.url(file.id, file.filename),
            "file_name": file.filename,
            "size": file.size,
        }

    async def _post(self, payload: dict[str, Any]) -> Sent:
        url = f"{self.settings.api_base.rstrip('/')}/pa/send_message"
        headers = {"X-Viber-Auth-Token": self.settings.auth_token}
        response = await post(self.client, url, json=payload, headers=headers)
        if response.status_code >= 400:  # Viber's own refusals come as a status below
            raise refused(response, permanent=False)
        try:
            answer = response.json()
        except ValueError as exc:
            raise SendError(f"not a Viber answer: {response.text[:200]}") from exc
        status = int(answer.get("status", -1))
        if status != 0:
            raise SendError(
                f"Viber status {status}: {answer.get('status_message', '')}",
                permanent=status in PERMANENT,
            )
        return Sent(provider_id=str(answer["message_token"]))

    async def close(self) -> None:
        await self.client.aclose()
