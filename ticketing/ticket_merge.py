"""Merging a duplicate ticket into another: its thread, files, addresses, tags and
assignees move over, and it is closed with a pointer to the ticket it went into."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.automation.events import emit
from ticketing.errors import Conflict, InvalidInput
from ticketing.models import (
    Address,
    Attachment,
    Ticket,
    TicketAssignee,
    TicketEntry,
    TicketStatus,
    TicketTag,
)
from ticketing.sla.engine import status_changed
from ticketing.ticket_service import set_status
from ticketing.tickets import claim_version, load_ticket, system_entry


class TicketMerger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def merge(self, actor: Principal, *, target: str, source: str, version: int) -> Ticket:
        """Merge ticket ``source`` into ``target`` (``version`` is the target's)."""
        if source == target:
            raise InvalidInput("a ticket cannot be merged into itself")
        async with self.db.transaction() as session:
            kept = await load_ticket(self.db, session, actor, target, for_update=True)
            gone = await load_ticket(self.db, session, actor, source, for_update=True)
            for ticket in (kept, gone):
                if ticket.merged_into_id is not None:
                    raise Conflict(f"ticket {ticket.number} was already merged into another")
            await claim_version(session, kept, version)
            await claim_version(session, gone, None)
            moved = {}
            for model in (TicketEntry, Attachment, Address):
                ids = (await session.exec(select(model.id).where(model.ticket_id == gone.id))).all()  # type: ignore[attr-defined]
                moved[model.__tablename__] = len(ids)
                await session.exec(
                    update(model).where(model.ticket_id == gone.id).values(ticket_id=kept.id)  # type: ignore[attr-defined]
                )
            await _union(session, TicketTag, "tag", gone.id, kept.id)
            await _union(session, TicketAssignee, "user_id", gone.id, kept.id)
            gone.merged_into_id = kept.id
            if gone.status is not TicketStatus.CLOSED:
                previous = gone.status
                set_status(gone, TicketStatus.CLOSED)
                await status_changed(session, gone, previous)
            session.add(gone)
            session.add(
                system_entry(kept, f"Ticket {gone.number} was merged into this one.", actor)
            )
            session.add(system_entry(gone, f"Merged into ticket {kept.number}.", actor))
            await session.flush()
            audit(
                session,
                actor,
                "ticket.merge",
                "ticket",
                kept.number,
                before={"source": gone.number},
                after={"target": kept.number, "moved": moved},
            )
            await emit(session, "ticket.updated", kept, actor)
            return kept


async def _union(
    session: AsyncSession,
    model: type[TicketTag] | type[TicketAssignee],
    column: str,
    source_id: int | None,
    target_id: int | None,
) -> None:
    """Move rows of ``model`` from source to target, dropping those the target has."""
    existing = select(getattr(model, column)).where(model.ticket_id == target_id)
    kept = set((await session.exec(existing)).all())
    rows = (await session.exec(select(model).where(model.ticket_id == source_id))).all()  # type: ignore[arg-type]
    for row in rows:
        value = getattr(row, column)
        await session.delete(row)
        if value not in kept:
            session.add(model(ticket_id=target_id, **{column: value}))
    await session.flush()
