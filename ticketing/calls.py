"""Every call becomes part of a ticket: the caller's contact, a ticket, the call as entry."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from pbx.models import CallRecord
from ticketing.contacts import find_or_create_contact
from ticketing.models import EntryKind, IdentityKind, TicketEntry
from ticketing.phone import normalise_phone
from ticketing.tickets import open_ticket


class CallFiler:
    """Files an ended call into a ticket, inside the transaction that ends the call record."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region

    async def __call__(self, session: AsyncSession, record: CallRecord) -> None:
        if record.ticket_id is not None:
            return
        number = normalise_phone(record.caller_number, self.default_region)
        contact_id = None
        if number is not None:
            contact = await find_or_create_contact(
                session, IdentityKind.PHONE, number, display_name=record.caller_name
            )
            contact_id = contact.id
        ticket = await open_ticket(
            session,
            subject=f"Call from {number or record.caller_number or 'unknown caller'}",
            channel="phone",
            contact_id=contact_id,
        )
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
        record.ticket_id = ticket.id
        session.add(record)


def _call_summary(record: CallRecord) -> str:
    seconds = f"{record.duration_seconds:.0f} s" if record.duration_seconds is not None else "?"
    dialled = record.dialled_number or "?"
    return f"{record.direction} call to {dialled}: {record.disposition}, {seconds}"
