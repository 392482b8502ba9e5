"""The channels built once (by the composition root) and run as one set of tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from channels.adapter import ChannelAdapter
from channels.broadcast import Broadcasts
from channels.chat.adapter import ChatAdapter
from channels.chat.hub import ChatHub
from channels.chat.session import ChatService
from channels.email.adapter import EmailAdapter
from channels.email.imap import ImapPoller
from channels.email.smtp_server import SmtpServer
from channels.email.unsubscribe import UnsubscribeLinks
from channels.file_replies import FileReplies
from channels.forms.definition import load_forms
from channels.forms.service import FormAdapter, FormService
from channels.inbox import Inbox
from channels.media_links import MediaLinks
from channels.messaging.messenger import MessengerAdapter
from channels.messaging.telegram import TelegramAdapter
from channels.messaging.viber import ViberAdapter
from channels.messaging.whatsapp import WhatsAppAdapter
from channels.outbox import Outbox
from channels.settings import ChannelSettings
from channels.sms.generic import GenericSms
from channels.sms.twilio import TwilioSms
from channels.threader import Threader
from switchboard.bus import EventBus
from switchboard.db import Database
from ticketing.attachments import AttachmentStore


@dataclass
class Channels:
    adapters: Mapping[str, ChannelAdapter]
    inbox: Inbox
    threader: Threader
    outbox: Outbox
    broadcasts: Broadcasts
    file_replies: FileReplies
    chat: ChatService | None = None
    forms: FormService | None = None
    smtp: SmtpServer | None = None
    imap: ImapPoller | None = None

    async def close(self) -> None:
        for adapter in self.adapters.values():
            close = getattr(adapter, "close", None)
            if close is not None:
                await close()

    async def run(self) -> None:
        """Receive, thread and send until cancelled."""
        if self.smtp is not None:
            await self.smtp.start()
        try:
            await self.run_workers()
        finally:
            if self.smtp is not None:
                await self.smtp.close()

    async def run_workers(self) -> None:
        """Thread what the inbox stored and send what the outbox holds, until cancelled."""
        tasks = [
            asyncio.create_task(self.threader.run(self.inbox.wake), name="channels-threader"),
            asyncio.create_task(self.outbox.run(), name="channels-outbox"),
        ]
        if self.imap is not None:
            tasks.append(asyncio.create_task(self.imap.run(), name="channels-imap"))
        if self.chat is not None:  # replies and agents' comings and goings reach widgets
            tasks += [
                asyncio.create_task(self.chat.adapter.hub.relay(), name="chat-relay"),
                asyncio.create_task(self.chat.presence_feed.run(), name="chat-presence"),
            ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def broadcast_apps(settings: ChannelSettings) -> list[str]:
    """Messaging apps that can carry works notices: the enabled ones; WhatsApp only with
    an approved template, since a business may not write first in free text."""
    apps = [name for name in ("telegram", "viber") if getattr(settings, name).enabled]
    if settings.whatsapp.enabled and settings.whatsapp.notice_template:
        apps.append("whatsapp")
    return apps


def build_channels(
    settings: ChannelSettings,
    db: Database,
    bus: EventBus,
    store: AttachmentStore,
    *,
    default_region: str = "FI",
    chat_secret: str = "",
    signing_key: str = "",
    extra: Mapping[str, ChannelAdapter] | None = None,
) -> Channels:
    adapters: dict[str, ChannelAdapter] = dict(extra or {})
    if settings.sms.provider == "twilio":
        adapters["sms"] = TwilioSms(settings.sms, default_region)
    elif settings.sms.provider == "generic":
        adapters["sms"] = GenericSms(settings.sms, default_region)
    inbox = Inbox(db, store, sender_limit_per_hour=settings.sender_limit_per_hour)
    links = media_links(settings, signing_key or chat_secret)
    if settings.whatsapp.enabled:
        adapters["whatsapp"] = WhatsAppAdapter(settings.whatsapp, default_region, store=store)
    if settings.telegram.enabled:
        adapters["telegram"] = TelegramAdapter(settings.telegram, store=store)
    if settings.viber.enabled:
        adapters["viber"] = ViberAdapter(settings.viber, links=links)
    if settings.messenger.enabled:
        adapters["messenger"] = MessengerAdapter(settings.messenger, links=links)
    smtp: SmtpServer | None = None
    imap: ImapPoller | None = None
    chat: ChatService | None = None
    if settings.chat.enabled:
        if not chat_secret:
            raise ValueError("web chat needs a secret to sign its conversation tokens")
        chat_adapter = ChatAdapter(chat_secret, ChatHub(bus))
        adapters["chat"] = chat_adapter
        chat = ChatService(db, inbox, chat_adapter, bus, settings.chat.presence_lease_seconds)
    if settings.email.enabled:
        email = settings.email
        key = signing_key or chat_secret
        unsubscribe = UnsubscribeLinks(key, email) if key else None
        adapters["email"] = EmailAdapter(email, unsubscribe, store=store)
        smtp = SmtpServer(
            inbox, email.smtp_listen_host, email.smtp_listen_port, email.max_message_bytes
        )
        imap = ImapPoller(email, inbox) if email.imap_host else None
    forms: FormService | None = None
    threader = Threader(db, bus, adapters)
    if settings.forms.folder is not None:
        adapters["form"] = FormAdapter()
        forms = FormService(
            load_forms(settings.forms.folder),
            inbox,
            threader,
            default_region,
            per_client=settings.forms.per_client,
            window_seconds=settings.forms.window_seconds,
        )
    return Channels(
        adapters=adapters,
        inbox=inbox,
        threader=threader,
        outbox=Outbox(
            db,
            adapters,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            per_second=settings.per_second,
        ),
        broadcasts=Broadcasts(db, default_region, broadcast_apps(settings)),
        file_replies=FileReplies(db, store, file_channels(adapters, links), links),
        chat=chat,
        forms=forms,
        smtp=smtp,
        imap=imap,
    )


def media_links(settings: ChannelSettings, secret: str) -> MediaLinks | None:
    """Signed links to reply files, when the desk has a public address and a secret."""
    if not settings.public_base_url or not secret:
        return None
    return MediaLinks(secret, settings.public_base_url, settings.media_link_hours * 3600)


def file_channels(
    adapters: Mapping[str, ChannelAdapter], links: MediaLinks | None
) -> dict[str, str]:
    """The configured channels an agent's reply can carry a file on ("" when it can),
    and why not where it cannot yet. SMS carries text only."""
    found = {name: "" for name in ("chat", "email", "whatsapp", "telegram") if name in adapters}
    for name in ("viber", "messenger"):
        if name in adapters:
            found[name] = (
                ""
                if links is not None
                else f"{name} fetches a reply's file from the desk: set channels.public_base_url"
            )
    return found
