"""Every call becomes part of a ticket: the caller's contact, a ticket, the call as entry."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pbx.models import CallRecord
from ticketing.contacts import find_or_create_contact
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.phone import normalise_phone
from ticketing.tickets import open_ticket


class CallFiler:
    """Files an ended call into a ticket, inside the transaction that ends the call record."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region

    async def __call__(self, session: AsyncSession, record: CallRecord) -> None:
        already = await session.exec(
            select(TicketEntry.id).where(
                TicketEntry.call_id == record.id, TicketEntry.kind == EntryKind.CALL
            )
        )
        if already.first() is not None:
            return
        ticket = await call_ticket(session, record, self.default_region)
        assert ticket.id is not None
        session.add(
            TicketEntry(
                ticket_id=ticket.id,
                kind=EntryKind.CALL,
                channel="phone",
                direction=record.direction,
                body=_call_summary(record),
                call_id=record.id,
                created_at=record.ended_at or ticket.created_at,
            )
        )


async def call_ticket(session: AsyncSession, record: CallRecord, default_region: str) -> Ticket:
    """The ticket the call belongs to; opened now, for the caller's contact, when the call
    has none yet (the IVR may open it during the call, e.g. to read its number back)."""
    if record.ticket_id is not None:
        ticket = await session.get(Ticket, record.ticket_id)
        if ticket is not None:
            return ticket
    number = normalise_phone(record.caller_number, default_region)
    contact_id = None
    if number is not None:
        contact = await find_or_create_contact(
            session, IdentityKind.PHONE, number, display_name=record.caller_name
        )
        contact_id = contact.id
    who = number or record.caller_number or "unknown caller"
    ticket = await open_ticket(
        session,
        subject=f"Call to {who}" if record.direction == "outbound" else f"Call from {who}",
        channel="phone",
        contact_id=contact_id,
    )
    record.ticket_id = ticket.id
    session.add(record)
    return ticket


def _call_summary(record: CallRecord) -> str:
    """One line for the call, and one for its way through the IVR when it took one."""
    seconds = f"{record.duration_seconds:.0f} s" if record.duration_seconds is not None else "?"
    dialled = record.dialled_number or "?"
    summary = f"{record.direction} call to {dialled}: {record.disposition}, {seconds}"
    nodes = [
        step["node"] + (f" [{step['digits']}]" if step.get("digits") else "")
        for step in record.path
        if step.get("action") == "node"
    ]
    if nodes:
        summary += f"\nIVR {record.flow}: {' > '.join(nodes)} -> {record.outcome}"
    return summary
