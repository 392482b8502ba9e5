"""One visitor's websocket conversation: the pre-chat form, messages (acknowledged only
after they are stored), typing, and the history for a reloaded page.

Frames are JSON. From the widget: ``{"type": "hello", "token"?: ..., "name", "email",
"language"?}``, ``{"type": "message", "id": <client id>, "text"}``, ``{"type": "typing"}``,
``{"type": "file", "id", "name", "data": <base64>}``, ``{"type": "leave_message", "id",
"text"}``. To it: ``{"type": "ready", "token", "history": [...], "agents": bool}``,
``{"type": "ack", "id"}``, ``{"type": "message", "from": "agent" | "bot", "text", ...}``,
``{"type": "filed", "id", "ticket"}``, ``{"type": "error", "detail", "id"?}``.

With a chatbot, a visitor's messages go to the bot until it hands over to a person;
afterwards (and without a bot) they go through the inbox like every channel's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from channels.adapter import Inbound, InboundAttachment
from channels.chat.adapter import CHANNEL, ChatAdapter, Visitor
from channels.chat.filing import ChatFiler, NewChatTicket
from channels.chat.hub import Socket
from channels.chat.presence import LEASE_SECONDS, ChatPresence, DeskPresence, PresenceFeed
from channels.chat.texts import language_of
from channels.file_replies import FileReplies
from channels.inbox import Inbox
from switchboard.bus import EventBus
from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.contacts import find_contact
from ticketing.errors import InvalidInput, NotFound, TooLarge
from ticketing.identities import normalise_email
from ticketing.models import (
    Attachment,
    EntryKind,
    IdentityKind,
    Ticket,
    TicketEntry,
    TicketStatus,
)

if TYPE_CHECKING:
    from channels.chat.bot import BotReply, ChatBot

MAX_TEXT = 4000
HISTORY = 100
MAX_REMEMBERED = 10_000  # conversations whose language is kept in memory


class ChatError(ValueError):
    pass


class ChatService:
    def __init__(
        self,
        db: Database,
        inbox: Inbox,
        adapter: ChatAdapter,
        bus: EventBus,
        presence_lease: float = LEASE_SECONDS,
    ) -> None:
        self.db = db
        self.inbox = inbox
        self.adapter = adapter
        self.bus = bus
        self.filer = ChatFiler(db, inbox.store, bus)
        self.file_replies = FileReplies(db, inbox.store, {CHANNEL: ""})
        self.desk_presence = DeskPresence(db, bus, presence_lease)  # set at the desk
        self.presence: ChatPresence = self.desk_presence
        self.presence_feed = PresenceFeed(
            lambda: self.presence, self.desk_presence, adapter.hub, bus
        )
        self.bot: ChatBot | None = None
        self._languages: dict[str, str] = {}

    async def hello(self, frame: dict[str, Any]) -> tuple[str, Visitor]:
        token, visitor = await self._who(frame)
        language = language_of(frame.get("language"))
        if len(self._languages) >= MAX_REMEMBERED and visitor.conversation not in self._languages:
            del self._languages[next(iter(self._languages))]
        self._languages[visitor.conversation] = language
        return token, visitor

    async def resumed(self, visitor: Visitor, open_ticket: str | None) -> None:
        """The conversation is (re)joined; the bot takes it unless the desk already has it."""
        if self.bot is not None:
            await self.bot.resume(visitor, open_ticket is not None, self.language(visitor))

    def language(self, visitor: Visitor) -> str:
        return self._languages.get(visitor.conversation, language_of(None))

    async def agents_available(self) -> bool:
        return await self.presence.available()

    async def greeting(self, visitor: Visitor) -> BotReply | None:
        """The bot's hello for a conversation it is (still) handling."""
        if self.bot is None or await self.bot.with_agent(visitor):
            return None
        return await self.bot.greeting(visitor)

    async def _who(self, frame: dict[str, Any]) -> tuple[str, Visitor]:
        token = frame.get("token")
        if isinstance(token, str) and token:
            visitor = self.adapter.visitor(token)
            if visitor is not None:
                return token, visitor
        name = str(frame.get("name", "")).strip()[:200]
        try:
            email = normalise_email(str(frame.get("email", "")))
        except InvalidInput as exc:
            raise ChatError("please give your email address") from exc
        if not name:
            raise ChatError("please give your name")
        return self.adapter.token(email, name)

    def join(self, visitor: Visitor, socket: Socket) -> None:
        self.adapter.hub.join(visitor.conversation, socket)

    def leave(self, visitor: Visitor, socket: Socket) -> None:
        self.adapter.hub.leave(visitor.conversation, socket)

    async def message(self, visitor: Visitor, frame: dict[str, Any]) -> tuple[str, list[BotReply]]:
        """Store the message (or give it to the bot); its client id and the bot's answers."""
        client_id, text = _text_frame(frame)
        if self.bot is not None and not await self.bot.with_agent(visitor):
            return client_id, await self.bot.handle(visitor, text, client_id)
        await self.inbox.receive(
            Inbound(
                channel=CHANNEL,
                provider_id=f"{visitor.conversation}:{client_id}",
                sender=visitor.email,
                sender_name=visitor.name,
                body=text,
                meta={"conversation": visitor.conversation},
            )
        )
        return client_id, []

    async def leave_message(self, visitor: Visitor, frame: dict[str, Any]) -> tuple[str, str]:
        """A message left when no agent is there: a ticket of its own; (client id, number)."""
        client_id, text = _text_frame(frame)
        if self.bot is not None:
            return client_id, await self.bot.leave_message(visitor, text, client_id)
        new = NewChatTicket(provider_id=f"message-{client_id}", subject=text[:300], body=text)
        return client_id, await self.filer.file(visitor, new)

    async def file(self, visitor: Visitor, frame: dict[str, Any]) -> tuple[str, list[BotReply]]:
        """A file from the visitor: checked by the attachment rules, then stored on their
        ticket (with a person) or kept for the ticket the bot files. Refused: nothing kept."""
        client_id = str(frame.get("id", ""))[:64]
        name, data = frame.get("name"), frame.get("data")
        if not client_id or not isinstance(name, str) or not isinstance(data, str):
            raise ChatError("a file needs an id, a name and its data")
        try:
            stored, raw = await self.filer.store_file(name, data)
        except (InvalidInput, TooLarge) as exc:
            raise ChatError(str(exc)) from exc
        if self.bot is not None and not await self.bot.with_agent(visitor):
            return client_id, await self.bot.file_received(visitor, stored)
        await self.inbox.receive(
            Inbound(
                channel=CHANNEL,
                provider_id=f"{visitor.conversation}:{client_id}",
                sender=visitor.email,
                sender_name=visitor.name,
                body=stored["filename"],
                meta={"conversation": visitor.conversation},
                attachments=(InboundAttachment(stored["filename"], stored["content_type"], raw),),
            )
        )
        return client_id, []

    async def typing(self, visitor: Visitor) -> None:
        await self.bus.publish("chat.typing", {"conversation": visitor.conversation})

    async def history(self, visitor: Visitor) -> tuple[str | None, list[dict[str, Any]]]:
        """The visitor's open chat ticket's number and public thread, oldest first."""
        async with self.db.session() as session:
            contact = await find_contact(session, IdentityKind.EMAIL, visitor.email)
            if contact is None:
                return None, []
            ticket = (
                await session.exec(
                    select(Ticket)
                    .where(
                        Ticket.contact_id == contact.id,
                        Ticket.channel == CHANNEL,
                        col(Ticket.status).not_in((TicketStatus.RESOLVED, TicketStatus.CLOSED)),
                    )
                    .order_by(col(Ticket.id).desc())
                )
            ).first()
            if ticket is None:
                return None, []
            entries = await session.exec(
                select(TicketEntry)
                .where(
                    TicketEntry.ticket_id == ticket.id,
                    TicketEntry.internal == False,  # noqa: E712
                    col(TicketEntry.kind).in_((EntryKind.CHAT, EntryKind.REPLY)),
                )
                .order_by(col(TicketEntry.id).desc())
                .limit(HISTORY)
            )
            shown = list(reversed(entries.all()))
            files = await self.adapter.files(session, [e.id for e in shown if e.id is not None])
            return ticket.number, [
                {
                    "from": "agent" if e.kind is EntryKind.REPLY else "visitor",
                    "author": e.author_name,
                    "text": e.body,
                    "at": e.created_at.isoformat(),
                    "files": files.get(e.id or 0, []),
                }
                for e in shown
            ]

    # --- files the desk sends and visitors fetch ------------------------------------------
    async def send_file(
        self, actor: Principal, number: str, filename: str, chunks: AsyncIterator[bytes]
    ) -> TicketEntry:
        """An agent's file to the visitor: a chat reply carrying it, which the outbox
        pushes to the conversation like any reply (the entry and file commit together)."""
        return await self.file_replies.send(actor, number, CHANNEL, filename, chunks)

    async def open_file(self, token: str) -> tuple[Attachment, Path]:
        """A chat file by its signed link; NotFound for anything else."""
        attachment_id = self.adapter.file_id(token)
        async with self.db.session() as session:
            attachment = await session.get(Attachment, attachment_id) if attachment_id else None
            entry_id = attachment.entry_id if attachment else None
            entry = await session.get(TicketEntry, entry_id) if entry_id else None
        if attachment is None or entry is None or entry.channel != CHANNEL or entry.internal:
            raise NotFound("no such file")
        path = self.inbox.store.path(attachment.sha256)
        if not path.is_file():
            raise NotFound("the file is missing from the store")
        return attachment, path


def _text_frame(frame: dict[str, Any]) -> tuple[str, str]:
    client_id = str(frame.get("id", ""))[:64]
    text = str(frame.get("text", "")).strip()
    if not client_id or not text:
        raise ChatError("a message needs an id and some text")
    if len(text) > MAX_TEXT:
        raise ChatError(f"a message is at most {MAX_TEXT} characters")
    return client_id, text
