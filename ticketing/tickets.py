"""Opening tickets with readable per-year numbers."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db_types import utcnow
from ticketing.models import Ticket, TicketStatus


async def next_ticket_number(session: AsyncSession, year: int) -> str:
    """Allocate ``YEAR-NNNNNN`` inside the caller's transaction (the row lock serialises)."""
    await session.execute(
        text("INSERT INTO ticket_counters (year, last) VALUES (:year, 0) ON CONFLICT DO NOTHING"),
        {"year": year},
    )
    result = await session.execute(
        text("UPDATE ticket_counters SET last = last + 1 WHERE year = :year RETURNING last"),
        {"year": year},
    )
    return f"{year}-{result.scalar_one():06d}"


async def open_ticket(
    session: AsyncSession, *, subject: str, channel: str, contact_id: int | None
) -> Ticket:
    now = utcnow()
    ticket = Ticket(
        number=await next_ticket_number(session, now.year),
        subject=subject,
        channel=channel,
        contact_id=contact_id,
        status=TicketStatus.NEW,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    return ticket
