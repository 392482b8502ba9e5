"""The second half of the inbound path: each stored message becomes an entry on a ticket.

A message joins the ticket its reply references name (Message-ID / In-Reply-To /
References), else the ticket whose number its subject carries (when it is the sender's),
else, for chat-like channels, the sender's open ticket on that channel; otherwise it opens
a new ticket. The entry and the message's ``threaded`` mark commit together, so a crash
repeats the work at most, never doubles it. The bus hears about it after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels import optout
from channels.adapter import ChannelAdapter
from channels.models import ChannelInbound, InboundStatus, MessageRef
from channels.outbox import delivery_report
from channels.parts import gather_parts
from switchboard.bus import EventBus
from switchboard.db import Database
from switchboard.db_types import utcnow
from switchboard.workers import keep_working
from ticketing.access.roles import Principal, Role
from ticketing.automation.events import emit
from ticketing.catalog.models import Category
from ticketing.contacts import find_contact, find_or_create_contact
from ticketing.models import (
    Attachment,
    Contact,
    ContactIdentity,
    IdentityKind,
    Ticket,
    TicketEntry,
    TicketStatus,
)
from ticketing.sla.engine import status_changed
from ticketing.ticket_service import set_status
from ticketing.tickets import claim_version, open_ticket

log = logging.getLogger(__name__)
NUMBER_IN_SUBJECT = re.compile(r"\[#?(\d{4}-\d{6})\]|#(\d{4}-\d{6})\b")
FINISHED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def channel_principal(channel: str) -> Principal:
    """Who the audit log and the rules see acting for an inbound message."""
    return Principal(user_id=None, name=f"channel:{channel}", role=Role.ADMIN)


def subject_number(subject: str) -> str | None:
    found = NUMBER_IN_SUBJECT.search(subject)
    return (found.group(1) or found.group(2)) if found else None


@dataclass(frozen=True)
class Threaded:
    inbound_id: int
    ticket_number: str
    entry_id: int
    new_ticket: bool


class Threader:
    def __init__(self, db: Database, bus: EventBus, adapters: Mapping[str, ChannelAdapter]) -> None:
        self.db = db
        self.bus = bus
        self.adapters = adapters

    async def run(self, wake: asyncio.Event, interval: float = 5.0) -> None:
        await keep_working(
            self.thread_pending, what="threading messages", every=interval, wake=wake
        )

    async def thread_pending(self, limit: int = 200) -> list[Threaded]:
        async with self.db.session() as session:
            pending = (
                await session.exec(
                    select(ChannelInbound.id)
                    .where(ChannelInbound.status == InboundStatus.RECEIVED)
                    .order_by(col(ChannelInbound.id))
                    .limit(limit)
                )
            ).all()
        done = []
        for inbound_id in pending:
            assert inbound_id is not None
            try:
                threaded = await self.thread_one(inbound_id)
            except Exception:  # one bad message must not stop the others; it stays pending
                log.exception("could not thread inbound message %s", inbound_id)
                continue
            if threaded is not None:
                done.append(threaded)
                await self.bus.publish(
                    "channel.message",
                    {
                        "inbound_id": threaded.inbound_id,
                        "ticket": threaded.ticket_number,
                        "entry_id": threaded.entry_id,
                        "new_ticket": threaded.new_ticket,
                    },
                )
        return done

    async def thread_one(self, inbound_id: int) -> Threaded | None:
        async with self.db.transaction() as session:
            message = await session.get(ChannelInbound, inbound_id, with_for_update=True)
            if message is None or message.status is not InboundStatus.RECEIVED:
                return None  # another worker got there first
            adapter = self.adapters.get(message.channel)
            if adapter is None:
                log.warning(
                    "no adapter for channel %s; message %s waits", message.channel, inbound_id
                )
                return None
            if message.meta.get("bounce_of"):
                await delivery_report(
                    session,
                    message.channel,
                    str(message.meta["bounce_of"]),
                    "failed",
                    f"bounced: {message.meta.get('bounce_reason', '')}",
                )
                message.status = InboundStatus.IGNORED
                message.reason = "delivery report (bounce)"
                session.add(message)
                return None
            control = getattr(adapter, "control", None)  # a request, not a message
            request = await control(session, message) if control is not None else ""
            if request:
                message.status = InboundStatus.IGNORED
                message.reason = request[:200]
                session.add(message)
                return None
            if adapter.opt_out_keywords:
                action = await optout.record(session, message.channel, message.sender, message.body)
                if action is not None:
                    message.status = InboundStatus.IGNORED
                    message.reason = f"{action} keyword"
                    session.add(message)
                    return None
            gathered = await gather_parts(session, message)
            if gathered is None:
                return None  # the rest of a long message is still on its way
            body, siblings = gathered
            contact = await person(session, adapter.identity, message)
            actor = channel_principal(message.channel)
            ticket = await self._existing_ticket(session, adapter, message, contact.id)
            new_ticket = ticket is None
            if ticket is None:
                ticket = await open_ticket(
                    session,
                    subject=(message.subject or _first_line(message.body))[:300]
                    or f"{message.channel} from {message.sender}",
                    description=_follow_up_note(message),
                    channel=message.channel,
                    contact_id=contact.id,
                    organisation_id=contact.organisation_id,
                    category_id=await _category(session, message.meta.get("category_id")),
                )
                await emit(session, "ticket.created", ticket, actor)
            assert ticket.id is not None
            entry = TicketEntry(
                ticket_id=ticket.id,
                kind=adapter.entry_kind,
                channel=message.channel,
                direction="inbound",
                author_name=(message.sender_name or message.sender)[:200],
                body=_entry_body(message, body),
                created_at=message.received_at,
            )
            session.add(entry)
            await session.flush()
            assert entry.id is not None
            for file in message.attachments:
                session.add(
                    Attachment(
                        ticket_id=ticket.id,
                        entry_id=entry.id,
                        sha256=file["sha256"],
                        size=file["size"],
                        content_type=file["content_type"],
                        filename=file["filename"],
                    )
                )
            own_id = message.meta.get("message_id")  # an email's Message-ID
            if isinstance(own_id, str) and own_id and await session.get(MessageRef, own_id) is None:
                session.add(MessageRef(ref=own_id, ticket_id=ticket.id))
            if not new_ticket and ticket.status is TicketStatus.PENDING:
                await claim_version(session, ticket, None)
                set_status(ticket, TicketStatus.OPEN)
                await status_changed(session, ticket, TicketStatus.PENDING)
            ticket.updated_at = utcnow()
            session.add(ticket)
            for row in (message, *siblings):
                row.status = InboundStatus.THREADED
                row.ticket_id, row.entry_id = ticket.id, entry.id
                row.threaded_at = utcnow()
                session.add(row)
            await emit(session, "entry.created", ticket, actor, entry)
            return Threaded(inbound_id, ticket.number, entry.id, new_ticket)

    async def _existing_ticket(
        self,
        session: AsyncSession,
        adapter: ChannelAdapter,
        message: ChannelInbound,
        contact_id: int | None,
    ) -> Ticket | None:
        if message.refs:
            refs = await session.exec(
                select(MessageRef.ticket_id).where(col(MessageRef.ref).in_(message.refs))
            )
            for ticket_id in refs.all():
                ticket = await _live(session, ticket_id)
                if ticket is not None:
                    return ticket
        number = subject_number(message.subject)
        if number is not None:
            found = (await session.exec(select(Ticket).where(Ticket.number == number))).first()
            if found is not None and found.contact_id == contact_id and found.id is not None:
                ticket = await _live(session, found.id)
                if ticket is not None:
                    return ticket
        if adapter.thread_by_contact and contact_id is not None:
            statement = (
                select(Ticket)
                .where(
                    Ticket.contact_id == contact_id,
                    Ticket.channel == message.channel,
                    col(Ticket.status).not_in(FINISHED),
                    col(Ticket.merged_into_id).is_(None),
                )
                .order_by(col(Ticket.id).desc())
            )
            return (await session.exec(statement)).first()
        return None


SAME_NUMBER = {IdentityKind.PHONE: IdentityKind.WHATSAPP, IdentityKind.WHATSAPP: IdentityKind.PHONE}


async def person(session: AsyncSession, kind: IdentityKind, message: ChannelInbound) -> Contact:
    """The sender's contact. A WhatsApp number is a phone number: someone known by one
    is the same person on the other, who gets the new identity rather than a twin."""
    found = await find_contact(session, kind, message.sender)
    twin_kind = SAME_NUMBER.get(kind)
    if found is None and twin_kind is not None:
        twin = await find_contact(session, twin_kind, message.sender)
        if twin is not None and twin.id is not None:
            try:
                async with session.begin_nested():
                    session.add(
                        ContactIdentity(contact_id=twin.id, kind=kind, value=message.sender)
                    )
                    await session.flush()
                return twin
            except IntegrityError:
                pass  # someone added it meanwhile: the lookup below finds the owner
    return found or await find_or_create_contact(
        session, kind, message.sender, display_name=message.sender_name
    )


async def _live(session: AsyncSession, ticket_id: int) -> Ticket | None:
    """The ticket, following merges; None when it is finished (a new one is opened)."""
    ticket = await session.get(Ticket, ticket_id, with_for_update=True)
    seen = 0
    while ticket is not None and ticket.merged_into_id is not None and seen < 10:
        ticket = await session.get(Ticket, ticket.merged_into_id, with_for_update=True)
        seen += 1
    if ticket is None or ticket.status in FINISHED:
        return None
    return ticket


async def _category(session: AsyncSession, category_id: object) -> int | None:
    """A category a channel asks for (a form's), when it exists."""
    if not isinstance(category_id, int):
        return None
    return category_id if await session.get(Category, category_id) is not None else None


def _first_line(body: str) -> str:
    return next((line.strip() for line in body.splitlines() if line.strip()), "")


def _follow_up_note(message: ChannelInbound) -> str:
    number = subject_number(message.subject)
    return f"Follow-up to {number}" if number else ""


def _entry_body(message: ChannelInbound, text: str) -> str:
    body = text.strip() or "(no text)"
    refused = message.meta.get("refused_files")
    if refused:
        body += "\n\nAttachments not accepted:\n" + "\n".join(f"- {r}" for r in refused)
    return body[:100_000]
