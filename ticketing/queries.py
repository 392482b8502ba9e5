"""Reading one ticket with everything on it, within the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.catalog.fields import FieldValue, definitions_for, stored_values, typed
from ticketing.catalog.models import Category, Team
from ticketing.models import (
    Address,
    Attachment,
    Contact,
    ContactIdentity,
    Ticket,
    TicketAssignee,
    TicketEntry,
    TicketTag,
)
from ticketing.scope import sees_internal
from ticketing.tickets import load_ticket


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    contact: Contact | None
    identities: list[ContactIdentity]
    entries: list[TicketEntry]
    assignee_ids: list[int]
    tags: list[str]
    addresses: list[Address]
    attachments: list[Attachment]
    category_path: list[Category]  # from the type down to the ticket's category
    team: Team | None
    merged_into: str | None  # the number of the ticket this one was merged into
    fields: dict[str, FieldValue]  # custom fields of its category, by name


class TicketQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def detail(self, principal: Principal, number: str) -> TicketDetail:
        async with self.db.session() as session:
            ticket = await load_ticket(self.db, session, principal, number)
            assert ticket.id is not None
            contact = None
            identities: list[ContactIdentity] = []
            if ticket.contact_id is not None:
                contact = await session.get(Contact, ticket.contact_id)
                identities = await _all(
                    session,
                    select(ContactIdentity)
                    .where(ContactIdentity.contact_id == ticket.contact_id)
                    .order_by(ContactIdentity.id),  # type: ignore[arg-type]
                )
            entries_query = select(TicketEntry).where(TicketEntry.ticket_id == ticket.id)
            if not sees_internal(principal):
                entries_query = entries_query.where(TicketEntry.internal == False)  # noqa: E712
            entries = await _all(session, entries_query.order_by(TicketEntry.id))  # type: ignore[arg-type]
            assignees = await _all(
                session,
                select(TicketAssignee.user_id)
                .where(TicketAssignee.ticket_id == ticket.id)
                .order_by(TicketAssignee.user_id),  # type: ignore[arg-type]
            )
            tags = await _all(
                session,
                select(TicketTag.tag)
                .where(TicketTag.ticket_id == ticket.id)
                .order_by(TicketTag.tag),  # type: ignore[arg-type]
            )
            addresses = await _all(
                session,
                select(Address).where(Address.ticket_id == ticket.id).order_by(Address.id),  # type: ignore[arg-type]
            )
            attachments = await _all(
                session,
                select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id),  # type: ignore[arg-type]
            )
            category_path = await category_path_of(session, ticket.category_id)
            team = await session.get(Team, ticket.team_id) if ticket.team_id else None
            merged_into = None
            if ticket.merged_into_id is not None:
                target = await session.get(Ticket, ticket.merged_into_id)
                merged_into = target.number if target else None
            definitions = {d.name: d for d in await definitions_for(session, ticket.category_id)}
            stored = await stored_values(session, ticket.id)
            fields = {name: typed(definitions.get(name), v) for name, v in stored.items()}
            return TicketDetail(
                ticket,
                contact,
                identities,
                entries,
                assignees,
                tags,
                addresses,
                attachments,
                category_path,
                team,
                merged_into,
                fields,
            )


async def category_path_of(session: AsyncSession, category_id: int | None) -> list[Category]:
    if category_id is None:
        return []
    category = await session.get(Category, category_id)
    if category is None:
        return []
    codes = category.path.split("/")
    paths = ["/".join(codes[: i + 1]) for i in range(len(codes))]
    rows = await _all(session, select(Category).where(Category.path.in_(paths)))  # type: ignore[attr-defined]
    by_path = {c.path: c for c in rows}
    return [by_path[p] for p in paths if p in by_path]


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.exec(statement)).all())
