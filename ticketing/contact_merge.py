"""Merging two contacts that turn out to be one: everything moves to the one kept.

Identities cannot be duplicated to begin with (each (kind, value) is unique), so a merge
moves every identity, ticket, address and member of the merged contact to the kept one,
marks the merged contact with ``merged_into_id``, and records what moved for review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, or_, update
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import UtcDateTime, utcnow
from ticketing.access.models import User
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.errors import Conflict, InvalidInput, NotFound
from ticketing.models import Address, Contact, ContactIdentity, Ticket


class ContactMerge(SQLModel, table=True):
    __tablename__ = "contact_merges"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="contacts.id", index=True)  # merged away
    target_id: int = Field(foreign_key="contacts.id", index=True)  # kept
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    actor: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    moved: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ContactMerger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def merge(self, actor: Principal, *, source_id: int, target_id: int) -> ContactMerge:
        """Merge ``source_id`` into ``target_id`` in one transaction."""
        if source_id == target_id:
            raise InvalidInput("a contact cannot be merged into itself")
        async with self.db.transaction() as session:
            source = await _live(session, source_id)
            target = await _live(session, target_id)
            if source.kind != target.kind:
                raise InvalidInput(
                    "cannot merge contacts of different kinds "
                    f"({source.kind.value} into {target.kind.value})"
                )
            identities = list(
                (
                    await session.exec(
                        select(ContactIdentity).where(ContactIdentity.contact_id == source_id)
                    )
                ).all()
            )
            tickets = list(
                (
                    await session.exec(
                        select(Ticket).where(
                            or_(Ticket.contact_id == source_id, Ticket.organisation_id == source_id)
                        )
                    )
                ).all()
            )
            now = utcnow()
            for identity in identities:
                identity.contact_id = target_id
                session.add(identity)
            for ticket in tickets:
                if ticket.contact_id == source_id:
                    ticket.contact_id = target_id
                if ticket.organisation_id == source_id:
                    ticket.organisation_id = target_id
                ticket.version += 1
                ticket.updated_at = now
                session.add(ticket)
            moved_members = await _move(session, Contact, "organisation_id", source_id, target_id)
            await _move(session, Address, "contact_id", source_id, target_id)
            moved_users = await _move(session, User, "contact_id", source_id, target_id)
            moved_users += await _move(session, User, "organisation_id", source_id, target_id)
            source.merged_into_id = target_id
            source.updated_at = now
            session.add(source)
            record = ContactMerge(
                source_id=source_id,
                target_id=target_id,
                actor_user_id=actor.user_id,
                actor=actor.name,
                at=now,
                moved={
                    "identities": [f"{i.kind.value}:{i.value}" for i in identities],
                    "tickets": [t.number for t in tickets],
                    "members": moved_members,
                    "users": moved_users,
                },
            )
            session.add(record)
            await session.flush()
            audit(
                session,
                actor,
                "contact.merge",
                "contact",
                target_id,
                before={"source": source_id, "source_name": source.display_name},
                after={"merge_id": record.id, **record.moved},
            )
            return record

    async def merges_of(self, contact_id: int) -> list[ContactMerge]:
        """Every merge the contact took part in, oldest first."""
        async with self.db.session() as session:
            statement = (
                select(ContactMerge)
                .where(
                    or_(ContactMerge.source_id == contact_id, ContactMerge.target_id == contact_id)
                )
                .order_by(ContactMerge.id)  # type: ignore[arg-type]
            )
            return list((await session.exec(statement)).all())


async def _live(session: AsyncSession, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    if contact.merged_into_id is not None:
        raise Conflict(
            f"contact {contact_id} was already merged into contact {contact.merged_into_id}"
        )
    return contact


async def _move(
    session: AsyncSession, model: type[SQLModel], column: str, source_id: int, target_id: int
) -> list[int]:
    attribute = getattr(model, column)
    ids = list(
        (await session.exec(select(model.id).where(attribute == source_id))).all()  # type: ignore[attr-defined]
    )
    if ids:
        await session.exec(update(model).where(attribute == source_id).values({column: target_id}))
    return [int(i) for i in ids]
