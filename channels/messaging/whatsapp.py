"""WhatsApp Cloud API: webhooks signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the
raw body with the app secret), text messages, pictures and documents (media id -> URL ->
download) and delivery/read statuses in; text messages out through
``/{phone_number_id}/messages``.

A reply's file is uploaded (``/{phone_number_id}/media``) and sent by the media id it is
given, as an image (JPEG, PNG) or a document, with the reply's text as its caption: the
desk needs no public address for it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, InboundAttachment, Outbound, SendError, Sent
from channels.messaging.media import MediaError, download, file_name, media_item
from channels.models import ChannelInbound
from channels.outgoing_files import ReplyFile, caption, files_meta, read_file, reply_files
from channels.provider_http import post, refused
from channels.settings import WhatsAppSettings
from switchboard.db_types import utcnow
from ticketing.attachments import AttachmentStore
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.phone import normalise_phone

CHANNEL = "whatsapp"
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
CAPTION = 1024  # the most text an image or document carries


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Status:
    provider_id: str
    status: str  # sent, delivered, read, failed
    error: str


class WhatsAppAdapter:
    name = CHANNEL
    identity = IdentityKind.WHATSAPP
    entry_kind = EntryKind.MESSAGE
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(
        self,
        settings: WhatsAppSettings,
        default_region: str,
        client: httpx.AsyncClient | None = None,
        store: AttachmentStore | None = None,
    ) -> None:
        self.settings = settings
        self.default_region = default_region
        self.client = client or httpx.AsyncClient(timeout=30)
        self.store = store  # where a reply's files are read from for upload

    def verify(self, body: bytes, given: str) -> bool:
        if not self.settings.app_secret or not given:
            return False
        return hmac.compare_digest(sign(self.settings.app_secret, body), given)

    def parse(self, payload: dict[str, Any]) -> tuple[list[Inbound], list[Status]]:
        messages: list[Inbound] = []
        statuses: list[Status] = []
        for value in _values(payload):
            names = {
                str(c.get("wa_id")): str(c.get("profile", {}).get("name", ""))
                for c in value.get("contacts", [])
                if isinstance(c, dict)
            }
            for message in value.get("messages", []):
                sender = normalise_phone("+" + str(message.get("from", "")), self.default_region)
                if sender is None or not message.get("id"):
                    continue
                kind = str(message.get("type", ""))
                media = []
                if kind in MEDIA_TYPES and isinstance(message.get(kind), dict):
                    found = message[kind]
                    text = str(found.get("caption", ""))
                    media.append(
                        media_item(
                            str(found.get("id", "")),
                            str(found.get("filename", "")),
                            str(found.get("mime_type", "")),
                        )
                    )
                elif kind == "text":
                    text = str(message.get("text", {}).get("body", ""))
                else:
                    text = f"({kind} message: not shown here)"
                messages.append(
                    Inbound(
                        channel=CHANNEL,
                        provider_id=str(message["id"]),
                        sender=sender,
                        sender_name=names.get(str(message.get("from")), ""),
                        body=text,
                        meta={"type": kind, "media": media},
                    )
                )
            for status in value.get("statuses", []):
                errors = status.get("errors") or [{}]
                statuses.append(
                    Status(
                        str(status.get("id", "")),
                        str(status.get("status", "")),
                        str(errors[0].get("title", "")),
                    )
                )
        return messages, statuses

    async def fetch(self, item: dict[str, Any], max_bytes: int) -> InboundAttachment:
        """A picture or document: its media id gives a short-lived URL, which is fetched
        with the same access token."""
        s = self.settings
        auth = {"Authorization": f"Bearer {s.access_token}"}
        url = f"{s.api_base.rstrip('/')}/{s.api_version}/{item.get('key', '')}"
        try:
            response = await self.client.get(url, headers=auth)
        except httpx.HTTPError as exc:
            raise MediaError(f"the media URL was not given: {exc.__class__.__name__}") from exc
        try:
            info = response.json() if response.status_code == 200 else {}
        except ValueError:
            info = {}
        if not isinstance(info, dict) or not info.get("url"):
            raise MediaError(f"the media URL was not given (HTTP {response.status_code})")
        size = int(info.get("file_size") or 0)
        if size > max_bytes:
            raise MediaError(f"the file is larger than the {max_bytes} byte limit ({size} bytes)")
        data, content_type = await download(
            self.client, str(info["url"]), max_bytes=max_bytes, headers=auth
        )
        content_type = str(item.get("content_type") or info.get("mime_type") or content_type)
        name = file_name(str(item.get("filename", "")), content_type, str(item.get("key")))
        return InboundAttachment(name, content_type, data)

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        meta = await files_meta(session, entry)
        if not await _window_open(session, recipient):
            meta["outside_window"] = True
        return Draft(subject="", body=entry.body, meta=meta)

    async def send(self, message: Outbound) -> Sent:
        to = message.recipient.lstrip("+")
        if message.meta.get("notice_id") is not None:
            return await self._post(to, self._notice(message))
        if message.meta.get("outside_window"):
            return await self._post(to, self._late_reply(message))
        files = reply_files(message.meta)
        if not files:
            return await self._post(to, {"type": "text", "text": {"body": message.body}})
        text = caption(message.body, files)
        sent = None
        if len(text) > CAPTION:
            sent = await self._post(to, {"type": "text", "text": {"body": text}})
            text = ""
        for n, file in enumerate(files):
            kind = "image" if file.is_picture else "document"
            content: dict[str, Any] = {"id": await self._upload(file)}
            if n == 0 and text:
                content["caption"] = text
            if kind == "document":
                content["filename"] = file.filename
            sent = await self._post(to, {"type": kind, kind: content})
        assert sent is not None
        return sent

    def _notice(self, message: Outbound) -> dict[str, Any]:
        """A works notice as the approved template, its text the one body parameter."""
        if not self.settings.notice_template:
            raise SendError("no WhatsApp template for notices is configured", permanent=True)
        language = str(message.meta.get("language") or "en")
        return _template(self.settings.notice_template, language, message.body)

    def _late_reply(self, message: Outbound) -> dict[str, Any]:
        """A reply outside the 24-hour customer service window: only a template goes."""
        late = (
            f"{message.recipient} has not written on WhatsApp in the last 24 hours, and "
            "WhatsApp then takes only an approved template"
        )
        if not self.settings.reply_template:
            raise SendError(f"{late}: set channels.whatsapp.reply_template", permanent=True)
        if reply_files(message.meta):
            raise SendError(f"{late}, without files: send the text alone", permanent=True)
        language = str(message.meta.get("language") or self.settings.reply_language)
        return _template(self.settings.reply_template, language, message.body)

    async def _upload(self, file: ReplyFile) -> str:
        """Upload a reply's file; the media id WhatsApp gives it."""
        data = await read_file(self.store, file)
        answer = await self._request(
            "media",
            data={"messaging_product": "whatsapp", "type": file.content_type},
            files={"file": (file.filename, data, file.content_type)},
        )
        return str(answer["id"])

    async def _post(self, to: str, content: dict[str, Any]) -> Sent:
        payload = {"messaging_product": "whatsapp", "to": to}
        answer = await self._request("messages", json={**payload, **content})
        return Sent(provider_id=str(answer["messages"][0]["id"]))

    async def _request(self, endpoint: str, **body: Any) -> dict[str, Any]:
        s = self.settings
        url = f"{s.api_base.rstrip('/')}/{s.api_version}/{s.phone_number_id}/{endpoint}"
        response = await post(
            self.client, url, headers={"Authorization": f"Bearer {s.access_token}"}, **body
        )
        if response.status_code >= 400:
            raise refused(response)
        answer: dict[str, Any] = response.json()
        return answer

    async def close(self) -> None:
        await self.client.aclose()


def _values(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in payload.get("entry", []) if isinstance(payload.get("entry"), list) else []:
        for change in entry.get("changes", []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                yield value


WINDOW = timedelta(hours=24)  # WhatsApp's customer service window


async def _window_open(session: AsyncSession, recipient: str) -> bool:
    """Whether the customer wrote on WhatsApp in the last 24 hours (free text allowed)."""
    last = (
        await session.exec(
            select(func.max(ChannelInbound.received_at)).where(
                ChannelInbound.channel == CHANNEL, ChannelInbound.sender == recipient
            )
        )
    ).one()
    if last is None:
        return False
    at = last if last.tzinfo else last.replace(tzinfo=UTC)  # stored as UTC
    return utcnow() - at < WINDOW


def _template(name: str, language: str, text: str) -> dict[str, Any]:
    """A template message whose one body parameter is ``text``."""
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}],
        },
    }
