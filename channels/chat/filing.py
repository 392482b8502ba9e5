"""Tickets the chat opens itself: a request the chatbot registered, a message left when
no agent is available. One transaction holds the message as received (a threaded
``channel_inbound`` row, which also ties the ticket to the conversation for the agent's
replies), the ticket, its entry, files and address; the same provider id twice files once.

Files a visitor sends are checked by the ticket attachment rules (safe name, allowed
type, size, signature) before anything is kept: a refused file is an error for the
visitor and stores nothing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.chat.adapter import CHANNEL, Visitor
from channels.models import ChannelInbound, InboundStatus
from channels.threader import channel_principal, person
from switchboard.bus import EventBus
from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.attachments import AttachmentStore, safe_filename
from ticketing.automation.events import emit
from ticketing.contacts import AddressInput, checked_address
from ticketing.errors import InvalidInput, TooLarge
from ticketing.models import Attachment, EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.tickets import open_ticket


@dataclass(frozen=True)
class NewChatTicket:
    provider_id: str  # unique in the conversation: filing twice files once
    subject: str
    body: str
    category_id: int | None = None
    address: AddressInput | None = None
    files: Sequence[dict[str, Any]] = ()


class ChatFiler:
    def __init__(self, db: Database, store: AttachmentStore, bus: EventBus) -> None:
        self.db = db
        self.store = store
        self.bus = bus

    async def store_file(self, filename: str, encoded: str) -> tuple[dict[str, Any], bytes]:
        """Keep a file sent as base64: its attachment fields and bytes; InvalidInput or
        TooLarge (nothing kept) when the rules refuse it."""
        name = safe_filename(filename)
        content_type = self.store.content_type(name)
        if len(encoded) > (self.store.max_bytes + 2) * 4 // 3 + 4:
            raise TooLarge(f"the file is larger than the limit of {self.store.max_bytes} bytes")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("the file did not arrive whole: send it again") from exc
        sha256, size = await self.store.put(_chunks(data), content_type)
        fields = {"sha256": sha256, "size": size, "filename": name, "content_type": content_type}
        return fields, data

    async def file(self, visitor: Visitor, new: NewChatTicket) -> str:
        """Open the ticket (once); its number."""
        provider_id = f"{visitor.conversation}:{new.provider_id}"[:255]
        async with self.db.transaction() as session:
            done = (
                await session.exec(
                    select(Ticket.number)
                    .join(ChannelInbound, ChannelInbound.ticket_id == Ticket.id)  # type: ignore[arg-type]
                    .where(
                        ChannelInbound.channel == CHANNEL,
                        ChannelInbound.provider_id == provider_id,
                    )
                )
            ).first()
            if done is not None:
                return done
            message = ChannelInbound(
                channel=CHANNEL,
                provider_id=provider_id,
                sender=visitor.email,
                sender_name=visitor.name[:200],
                subject=new.subject[:300],
                body=new.body,
                meta={"conversation": visitor.conversation},
                attachments=list(new.files),
                status=InboundStatus.THREADED,
            )
            contact = await person(session, IdentityKind.EMAIL, message)
            actor = channel_principal(CHANNEL)
            ticket = await _open(session, contact.id, contact.organisation_id, new)
            await emit(session, "ticket.created", ticket, actor)
            assert ticket.id is not None
            entry = TicketEntry(
                ticket_id=ticket.id,
                kind=EntryKind.CHAT,
                channel=CHANNEL,
                direction="inbound",
                author_name=(visitor.name or visitor.email)[:200],
                body=new.body[:100_000] or "(no text)",
            )
            session.add(entry)
            await session.flush()
            assert entry.id is not None
            for file in new.files:
                session.add(Attachment(ticket_id=ticket.id, entry_id=entry.id, **file))
            if new.address is not None:
                session.add(await checked_address(session, new.address, ticket_id=ticket.id))
            message.ticket_id, message.entry_id = ticket.id, entry.id
            message.threaded_at = utcnow()
            session.add(message)
            await emit(session, "entry.created", ticket, actor, entry)
            number = ticket.number
        await self.bus.publish("channel.message", {"ticket": number, "new_ticket": True})
        return number


async def _open(
    session: AsyncSession, contact_id: int | None, organisation_id: int | None, new: NewChatTicket
) -> Ticket:
    return await open_ticket(
        session,
        subject=new.subject[:300] or "Chat",
        channel=CHANNEL,
        contact_id=contact_id,
        organisation_id=organisation_id,
        category_id=new.category_id,
    )


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
