"""One visitor's websocket conversation: the pre-chat form, messages (acknowledged only
after they are stored), typing, and the history for a reloaded page.

Frames are JSON. From the widget: ``{"type": "hello", "token"?: ..., "name", "email"}``,
``{"type": "message", "id": <client id>, "text"}``, ``{"type": "typing"}``. To it:
``{"type": "ready", "token", "history": [...]}``, ``{"type": "ack", "id"}``,
``{"type": "message", "from": "agent", "text", ...}``, ``{"type": "error", "detail"}``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from channels.adapter import Inbound
from channels.chat.adapter import CHANNEL, ChatAdapter, Visitor
from channels.chat.hub import Socket
from channels.inbox import Inbox
from switchboard.bus import EventBus
from switchboard.db import Database
from ticketing.contacts import find_contact
from ticketing.errors import InvalidInput
from ticketing.identities import normalise_email
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry, TicketStatus

MAX_TEXT = 4000
HISTORY = 100


class ChatError(ValueError):
    pass


class ChatService:
    def __init__(self, db: Database, inbox: Inbox, adapter: ChatAdapter, bus: EventBus) -> None:
        self.db = db
        self.inbox = inbox
        self.adapter = adapter
        self.bus = bus

    async def hello(self, frame: dict[str, Any]) -> tuple[str, Visitor]:
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

    async def message(self, visitor: Visitor, frame: dict[str, Any]) -> str:
        client_id = str(frame.get("id", ""))[:64]
        text = str(frame.get("text", "")).strip()
        if not client_id or not text:
            raise ChatError("a message needs an id and some text")
        if len(text) > MAX_TEXT:
            raise ChatError(f"a message is at most {MAX_TEXT} characters")
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
        return client_id

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
            return ticket.number, [
                {
                    "from": "agent" if e.kind is EntryKind.REPLY else "visitor",
                    "author": e.author_name,
                    "text": e.body,
                    "at": e.created_at.isoformat(),
                }
                for e in reversed(entries.all())
            ]
