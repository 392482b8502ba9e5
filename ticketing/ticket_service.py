"""Changing tickets: registering, editing fields, assignees and tags, the status workflow.

Every change runs in one transaction: scope check, optimistic version claim, the change,
and its audit entry. Thread entries are in ``ticketing.thread``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pbx.acd.models import AcdQueue
from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.models import User
from ticketing.access.roles import Principal, Role
from ticketing.audit import audit, snapshot
from ticketing.automation.events import emit
from ticketing.catalog.fields import FieldValue, set_values, stored_values
from ticketing.catalog.models import Category, Team
from ticketing.contacts import AddressInput, checked_address
from ticketing.errors import Forbidden, InvalidInput
from ticketing.models import (
    Contact,
    EntryKind,
    Priority,
    Ticket,
    TicketAssignee,
    TicketEntry,
    TicketStatus,
    TicketTag,
)
from ticketing.sla.engine import refresh_deadlines, status_changed
from ticketing.tickets import claim_version, load_ticket, open_ticket
from ticketing.workflow import INITIAL, check_reopen, check_transition

_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_UNSET: object = object()


@dataclass(frozen=True)
class NewTicket:
    subject: str
    description: str = ""
    channel: str = "web"
    contact_id: int | None = None
    organisation_id: int | None = None
    priority: Priority = Priority.NORMAL
    category_id: int | None = None
    team_id: int | None = None
    queue: str | None = None  # the name of an ACD queue
    assignee_ids: Sequence[int] = ()
    tags: Sequence[str] = ()
    status: TicketStatus = TicketStatus.NEW  # closed: answered on the spot
    addresses: Sequence[AddressInput] = ()
    fields: Mapping[str, FieldValue] = field(default_factory=dict)  # the category's fields


@dataclass(frozen=True)
class TicketChanges:
    """A partial update; fields left as None stay as they are."""

    version: int
    subject: str | None = None
    description: str | None = None
    priority: Priority | None = None
    category_id: int | None = None
    team_id: int | None = None
    queue: str | None = None
    contact_id: int | None = None
    organisation_id: int | None = None
    assignee_ids: Sequence[int] | None = None
    tags: Sequence[str] | None = None
    fields: Mapping[str, FieldValue] | None = None  # merged over the stored; None removes
    clear: frozenset[str] = frozenset()  # fields to set to null: category_id, queue, ...


class TicketService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, actor: Principal, new: NewTicket) -> Ticket:
        if new.status not in INITIAL:
            raise InvalidInput("a new ticket starts as new, open, or closed (answered on the spot)")
        contact_id, organisation_id, channel = new.contact_id, new.organisation_id, new.channel
        if actor.role is Role.CUSTOMER:
            if new.status is not TicketStatus.NEW or new.assignee_ids or new.team_id or new.queue:
                raise Forbidden("customers register tickets; the desk assigns and closes them")
            contact_id, organisation_id, channel = actor.contact_id, None, "web"
        subject = new.subject.strip()
        if not subject:
            raise InvalidInput("a ticket needs a subject")
        async with self.db.transaction() as session:
            if contact_id is not None:
                contact = await session.get(Contact, contact_id)
                if contact is None:
                    raise InvalidInput(f"contact {contact_id} does not exist")
                if organisation_id is None:
                    organisation_id = contact.organisation_id
            await _check_refs(session, new.category_id, new.team_id, organisation_id)
            await _check_queue(session, new.queue)
            now = utcnow()
            ticket = await open_ticket(
                session,
                subject=subject,
                description=new.description.strip(),
                channel=channel,
                contact_id=contact_id,
                organisation_id=organisation_id,
                priority=new.priority,
                category_id=new.category_id,
                team_id=new.team_id,
                queue=new.queue,
                now=now,
            )
            assert ticket.id is not None
            ticket.status = new.status
            if new.status is TicketStatus.CLOSED:
                ticket.first_response_at = ticket.resolved_at = ticket.closed_at = now
            await status_changed(session, ticket, TicketStatus.NEW, now)
            session.add(ticket)
            await _set_assignees(session, ticket.id, new.assignee_ids)
            await _set_tags(session, ticket.id, new.tags)
            for address in new.addresses:
                session.add(await checked_address(session, address, ticket_id=ticket.id))
            if new.fields or new.category_id is not None:
                await set_values(session, ticket.id, new.category_id, new.fields, replace=True)
            await emit(session, "ticket.created", ticket, actor)
            await session.flush()
            audit(
                session,
                actor,
                "ticket.create",
                "ticket",
                ticket.number,
                after=await ticket_snapshot(session, ticket),
            )
            return ticket

    async def update(self, actor: Principal, number: str, changes: TicketChanges) -> Ticket:
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            assert ticket.id is not None
            before = await ticket_snapshot(session, ticket)
            await claim_version(session, ticket, changes.version)
            moves_scope = changes.organisation_id is not None or changes.contact_id is not None
            if not actor.is_staff and (
                moves_scope or changes.clear & {"organisation_id", "contact_id"}
            ):
                raise Forbidden("only staff can change a ticket's contact or organisation")
            if changes.subject is not None:
                if not changes.subject.strip():
                    raise InvalidInput("a ticket needs a subject")
                ticket.subject = changes.subject.strip()
            if changes.description is not None:
                ticket.description = changes.description.strip()
            if changes.priority is not None:
                ticket.priority = changes.priority
            for name in ("category_id", "team_id", "queue", "contact_id", "organisation_id"):
                value = getattr(changes, name)
                if value is not None:
                    setattr(ticket, name, value)
                elif name in changes.clear:
                    setattr(ticket, name, None)
            if changes.contact_id is not None:
                contact = await session.get(Contact, changes.contact_id)
                if contact is None:
                    raise InvalidInput(f"contact {changes.contact_id} does not exist")
                if changes.organisation_id is None and "organisation_id" not in changes.clear:
                    ticket.organisation_id = contact.organisation_id
            await _check_refs(
                session, changes.category_id, changes.team_id, changes.organisation_id
            )
            await _check_queue(session, changes.queue)
            if changes.assignee_ids is not None:
                await _set_assignees(session, ticket.id, changes.assignee_ids)
            if changes.tags is not None:
                await _set_tags(session, ticket.id, changes.tags)
            recategorised = changes.category_id is not None or "category_id" in changes.clear
            if changes.fields is not None or recategorised:
                await set_values(
                    session, ticket.id, ticket.category_id, changes.fields or {}, replace=False
                )
            await refresh_deadlines(session, ticket)
            session.add(ticket)
            await session.flush()
            after = await ticket_snapshot(session, ticket)
            audit(session, actor, "ticket.update", "ticket", number, before=before, after=after)
            await emit(session, "ticket.updated", ticket, actor)
            return ticket

    async def change_status(
        self, actor: Principal, number: str, status: TicketStatus, version: int
    ) -> Ticket:
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            check_transition(ticket.status, status)
            before = snapshot(ticket)
            await claim_version(session, ticket, version)
            previous = ticket.status
            set_status(ticket, status)
            await status_changed(session, ticket, previous)
            session.add(ticket)
            await session.flush()
            audit(
                session,
                actor,
                "ticket.status",
                "ticket",
                number,
                before=before,
                after=snapshot(ticket),
            )
            await emit(session, "ticket.updated", ticket, actor)
            return ticket

    async def reopen(self, actor: Principal, number: str, comment: str, version: int) -> Ticket:
        """Back to open with the reason as a public message in the thread."""
        if not comment.strip():
            raise InvalidInput("reopening a ticket needs a comment saying why")
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            assert ticket.id is not None
            check_reopen(ticket.status)
            before = snapshot(ticket)
            await claim_version(session, ticket, version)
            previous = ticket.status
            set_status(ticket, TicketStatus.OPEN)
            await status_changed(session, ticket, previous)
            session.add(ticket)
            session.add(
                TicketEntry(
                    ticket_id=ticket.id,
                    kind=EntryKind.MESSAGE if actor.role is Role.CUSTOMER else EntryKind.NOTE,
                    internal=actor.role is not Role.CUSTOMER,
                    channel="web",
                    direction="inbound" if actor.role is Role.CUSTOMER else "internal",
                    author_user_id=actor.user_id,
                    author_name=actor.name,
                    body=f"Reopened: {comment.strip()}",
                )
            )
            await session.flush()
            audit(
                session,
                actor,
                "ticket.reopen",
                "ticket",
                number,
                before=before,
                after=snapshot(ticket, comment=comment.strip()),
            )
            await emit(session, "ticket.updated", ticket, actor)
            return ticket

    async def add_address(
        self, actor: Principal, number: str, address: AddressInput, version: int
    ) -> Ticket:
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            assert ticket.id is not None
            await claim_version(session, ticket, version)
            row = await checked_address(session, address, ticket_id=ticket.id)
            session.add(row)
            await session.flush()
            audit(session, actor, "ticket.address.add", "ticket", number, after=snapshot(row))
            await emit(session, "ticket.updated", ticket, actor)
            return ticket


def set_status(ticket: Ticket, status: TicketStatus) -> None:
    """Apply a status and the timestamps that go with it (checks are the caller's)."""
    now = utcnow()
    if status is TicketStatus.OPEN:
        ticket.resolved_at = ticket.closed_at = None
    if status is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if status is TicketStatus.CLOSED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now
    ticket.status = status


async def ticket_snapshot(session: AsyncSession, ticket: Ticket) -> dict[str, object]:
    assignees = await session.exec(
        select(TicketAssignee.user_id).where(TicketAssignee.ticket_id == ticket.id)
    )
    tags = await session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))
    assert ticket.id is not None
    return snapshot(
        ticket,
        assignee_ids=sorted(assignees.all()),
        tags=sorted(tags.all()),
        fields=await stored_values(session, ticket.id),
    )


async def _check_refs(
    session: AsyncSession,
    category_id: int | None,
    team_id: int | None,
    organisation_id: int | None,
) -> None:
    if category_id is not None:
        category = await session.get(Category, category_id)
        if category is None or not category.active:
            raise InvalidInput(f"category {category_id} does not exist or is no longer in use")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise InvalidInput(f"team {team_id} does not exist")
    if organisation_id is not None:
        organisation = await session.get(Contact, organisation_id)
        if organisation is None or organisation.kind.value != "organisation":
            raise InvalidInput(f"organisation {organisation_id} does not exist")


async def _check_queue(session: AsyncSession, queue: str | None) -> None:
    if (
        queue is not None
        and (await session.exec(select(AcdQueue.id).where(AcdQueue.name == queue))).first() is None
    ):
        raise InvalidInput(f"queue {queue!r} does not exist")


async def _set_assignees(session: AsyncSession, ticket_id: int, user_ids: Sequence[int]) -> None:
    wanted = sorted(set(user_ids))
    if wanted:
        users = (await session.exec(select(User).where(User.id.in_(wanted)))).all()  # type: ignore[union-attr]
        ok = {u.id for u in users if u.active and u.role is not Role.CUSTOMER}
        bad = [str(i) for i in wanted if i not in ok]
        if bad:
            raise InvalidInput(
                f"cannot assign users {', '.join(bad)}: unknown, disabled or customers"
            )
    current = set(
        (
            await session.exec(
                select(TicketAssignee.user_id).where(TicketAssignee.ticket_id == ticket_id)
            )
        ).all()
    )
    gone = current - set(wanted)
    if gone:
        await session.exec(
            delete(TicketAssignee).where(
                TicketAssignee.ticket_id == ticket_id,  # type: ignore[arg-type]
                TicketAssignee.user_id.in_(gone),  # type: ignore[attr-defined]
            )
        )
    for user_id in wanted:
        if user_id not in current:
            session.add(TicketAssignee(ticket_id=ticket_id, user_id=user_id))


async def _set_tags(session: AsyncSession, ticket_id: int, tags: Sequence[str]) -> None:
    wanted = sorted({t.strip().lower() for t in tags if t.strip()})
    bad = [t for t in wanted if not _TAG.match(t)]
    if bad:
        raise InvalidInput(f"invalid tags {bad}: letters, digits and _ . : - only, up to 64")
    await session.exec(delete(TicketTag).where(TicketTag.ticket_id == ticket_id))  # type: ignore[arg-type]
    for tag in wanted:
        session.add(TicketTag(ticket_id=ticket_id, tag=tag))
