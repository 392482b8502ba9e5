"""Opening tickets with readable per-year numbers, loading them within the caller's scope,
and the optimistic version check every change goes through."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.errors import Conflict, NotFound
from ticketing.models import EntryKind, Priority, Ticket, TicketEntry, TicketStatus
from ticketing.scope import ticket_scope
from ticketing.sla.engine import refresh_deadlines

log = logging.getLogger(__name__)


async def next_ticket_number(session: AsyncSession, year: int) -> str:
    """Allocate ``YEAR-NNNNNN`` inside the caller's transaction (the row lock serialises)."""
    await session.exec(
        text(
            "INSERT INTO ticket_counters (year, last) VALUES (:year, 0) ON CONFLICT DO NOTHING"
        ).bindparams(year=year)
    )
    result = await session.exec(
        text(
            "UPDATE ticket_counters SET last = last + 1 WHERE year = :year RETURNING last"
        ).bindparams(year=year)
    )
    return f"{year}-{result.scalar_one():06d}"


async def open_ticket(
    session: AsyncSession,
    *,
    subject: str,
    channel: str,
    contact_id: int | None,
    description: str = "",
    priority: Priority = Priority.NORMAL,
    organisation_id: int | None = None,
    category_id: int | None = None,
    team_id: int | None = None,
    queue: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    now = now or utcnow()
    ticket = Ticket(
        number=await next_ticket_number(session, now.year),
        subject=subject,
        description=description,
        channel=channel,
        contact_id=contact_id,
        organisation_id=organisation_id,
        category_id=category_id,
        team_id=team_id,
        queue=queue,
        priority=priority,
        status=TicketStatus.NEW,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    await refresh_deadlines(session, ticket)
    return ticket


async def load_ticket(
    db: Database,
    session: AsyncSession,
    principal: Principal,
    number: str,
    *,
    for_update: bool = False,
) -> Ticket:
    """The ticket ``number`` if ``principal`` may see it; NotFound otherwise.

    The scope is part of the query. When the ticket exists outside the scope, the attempt
    is written to the audit log in a transaction of its own (the caller's will roll back).
    """
    statement = select(Ticket).where(Ticket.number == number, *ticket_scope(principal))
    if for_update:
        statement = statement.with_for_update()
    ticket = (await session.exec(statement)).first()
    if ticket is not None:
        return ticket
    exists = (await session.exec(select(Ticket.id).where(Ticket.number == number))).first()
    if exists is not None:
        log.warning(
            "%s %s (user %s) asked for ticket %s outside their scope",
            principal.role.value,
            principal.name,
            principal.user_id,
            number,
        )
        async with db.transaction() as denial:
            audit(denial, principal, "access.denied", "ticket", number)
    raise NotFound(f"ticket {number} not found")


async def claim_version(session: AsyncSession, ticket: Ticket, expected: int | None) -> None:
    """Take the next version of ``ticket`` or raise Conflict when someone else already did.

    ``expected`` is the version the client last saw (None: internal change). The
    conditional UPDATE makes two concurrent editors of one version meet here: exactly one
    wins, the other gets the conflict.
    """
    assert ticket.id is not None
    if expected is not None and ticket.version != expected:
        raise _stale(ticket, expected, ticket.version)
    now = utcnow()
    result = await session.exec(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == ticket.version)  # type: ignore[arg-type]
        .values(version=ticket.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _stale(ticket, ticket.version, None)
    set_committed_value(ticket, "version", ticket.version + 1)
    set_committed_value(ticket, "updated_at", now)


def _stale(ticket: Ticket, yours: int, current: int | None) -> Conflict:
    now = f"; it is now at version {current}" if current is not None else ""
    return Conflict(
        f"ticket {ticket.number} was changed by someone else since you loaded it "
        f"(your version {yours}{now}); reload it and apply your change again"
    )


def system_entry(ticket: Ticket, body: str, actor: Principal) -> TicketEntry:
    """A thread entry recording something that happened to the ticket."""
    assert ticket.id is not None
    return TicketEntry(
        ticket_id=ticket.id,
        kind=EntryKind.EVENT,
        channel="system",
        direction="internal",
        internal=True,
        author_user_id=actor.user_id,
        author_name=actor.name,
        body=body,
    )
