"""Telegram Bot API: updates pushed to our webhook carry the secret token we registered
(``X-Telegram-Bot-Api-Secret-Token``); replies go out with ``sendMessage``. A person is
known by their Telegram user id.

A reply's file is uploaded with the message (multipart): ``sendPhoto`` for a JPEG or PNG
up to 10 MB, ``sendDocument`` otherwise, with the reply's text as its caption: the desk
needs no public address for it."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, InboundAttachment, Outbound, Sent
from channels.messaging.media import MediaError, download, file_name, media_item
from channels.outgoing_files import caption, files_meta, read_file, reply_files
from channels.provider_http import post, refused
from channels.settings import TelegramSettings
from ticketing.attachments import AttachmentStore
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry

CHANNEL = "telegram"
CAPTION = 1024  # the most text a photo or document carries
PHOTO_BYTES = 10 * 1024 * 1024  # larger pictures go as documents


class TelegramAdapter:
    name = CHANNEL
    identity = IdentityKind.TELEGRAM
    entry_kind = EntryKind.MESSAGE
    thread_by_contact = True
    opt_out_keywords = True

    def __init__(
        self,
        settings: TelegramSettings,
        client: httpx.AsyncClient | None = None,
        store: AttachmentStore | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=30)
        self.store = store  # where a reply's files are read from for upload

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
        media = _media(message)
        text = message.get("text") or message.get("caption") or ""
        if not text and not media:
            text = "(a message without text)"
        return Inbound(
            channel=CHANNEL,
            provider_id=str(update["update_id"]),
            sender=str(sender["id"]),
            sender_name=name or str(sender.get("username", "")),
            body=str(text),
            meta={
                "chat_id": chat.get("id"),
                "telegram_message_id": message.get("message_id"),
                "media": media,
            },
        )

    async def fetch(self, item: dict[str, Any], max_bytes: int) -> InboundAttachment:
        """A photo or document: ``getFile`` gives its path on the file server."""
        s = self.settings
        base = s.api_base.rstrip("/")
        try:
            response = await self.client.get(
                f"{base}/bot{s.bot_token}/getFile", params={"file_id": item.get("key", "")}
            )
        except httpx.HTTPError as exc:
            raise MediaError(f"getFile failed: {exc.__class__.__name__}") from exc
        answer = _json(response)
        path = str((answer.get("result") or {}).get("file_path", ""))
        if not answer.get("ok") or not path:
            raise MediaError(f"getFile failed: {answer.get('description', response.status_code)}")
        size = int((answer.get("result") or {}).get("file_size") or 0)
        if size > max_bytes:
            raise MediaError(f"the file is larger than the {max_bytes} byte limit ({size} bytes)")
        data, content_type = await download(
            self.client, f"{base}/file/bot{s.bot_token}/{path}", max_bytes=max_bytes
        )
        content_type = str(item.get("content_type") or content_type)
        fallback = path.rsplit("/", 1)[-1]
        return InboundAttachment(
            file_name(str(item.get("filename", "")), content_type, fallback), content_type, data
        )

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body, meta=await files_meta(session, entry))

    async def send(self, message: Outbound) -> Sent:
        chat = message.recipient
        files = reply_files(message.meta)
        if not files:
            return await self._call(
                chat, "sendMessage", json={"chat_id": chat, "text": message.body}
            )
        text = caption(message.body, files)
        sent = None
        if len(text) > CAPTION:
            sent = await self._call(chat, "sendMessage", json={"chat_id": chat, "text": text})
            text = ""
        for n, file in enumerate(files):
            field = "photo" if file.is_picture and file.size <= PHOTO_BYTES else "document"
            form = {"chat_id": chat, **({"caption": text} if n == 0 and text else {})}
            upload = {field: (file.filename, await read_file(self.store, file), file.content_type)}
            method = "sendPhoto" if field == "photo" else "sendDocument"
            sent = await self._call(chat, method, data=form, files=upload)
        assert sent is not None
        return sent

    async def _call(self, chat: str, method: str, **body: Any) -> Sent:
        s = self.settings
        url = f"{s.api_base.rstrip('/')}/bot{s.bot_token}/{method}"
        response = await post(self.client, url, **body)
        answer = _json(response)
        if response.status_code >= 400 or not answer.get("ok"):
            raise refused(
                response,
                str(answer.get("description", "")),
                permanent=response.status_code in (400, 403),  # blocked by the user, bad chat
            )
        return Sent(provider_id=f"{chat}:{answer['result']['message_id']}")

    async def close(self) -> None:
        await self.client.aclose()


def _media(message: dict[str, Any]) -> list[dict[str, str]]:
    """The photo (its largest size) or document a message carries."""
    photos = message.get("photo")
    if isinstance(photos, list) and photos and isinstance(photos[-1], dict):
        return [media_item(str(photos[-1].get("file_id", "")), "", "image/jpeg")]
    document = message.get("document")
    if isinstance(document, dict) and document.get("file_id"):
        return [
            media_item(
                str(document["file_id"]),
                str(document.get("file_name", "")),
                str(document.get("mime_type", "")),
            )
        ]
    return []


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
