"""Reading tickets with their thread and contact, for the API and the desktop."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from switchboard.db import Database
from ticketing.models import Contact, ContactIdentity, Ticket, TicketEntry


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    contact: Contact | None
    identities: list[ContactIdentity]
    entries: list[TicketEntry]


class TicketQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def recent(self, limit: int, before_id: int | None = None) -> list[Ticket]:
        async with self.db.session() as session:
            statement = select(Ticket).order_by(Ticket.id.desc()).limit(limit)  # type: ignore[union-attr]
            if before_id is not None:
                statement = statement.where(Ticket.id < before_id)  # type: ignore[operator]
            return list((await session.exec(statement)).all())

    async def detail(self, number: str) -> TicketDetail | None:
        async with self.db.session() as session:
            ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).first()
            if ticket is None:
                return None
            contact = None
            identities: list[ContactIdentity] = []
            if ticket.contact_id is not None:
                contact = await session.get(Contact, ticket.contact_id)
                identities = list(
                    (
                        await session.exec(
                            select(ContactIdentity).where(
                                ContactIdentity.contact_id == ticket.contact_id
                            )
                        )
                    ).all()
                )
            entries = list(
                (
                    await session.exec(
                        select(TicketEntry)
                        .where(TicketEntry.ticket_id == ticket.id)
                        .order_by(TicketEntry.id)  # type: ignore[arg-type]
                    )
                ).all()
            )
            return TicketDetail(ticket, contact, identities, entries)
