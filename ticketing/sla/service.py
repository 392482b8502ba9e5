"""Managing calendars and policies, and deadline extensions; every change audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.catalog.models import Category, Team
from ticketing.errors import Conflict, InvalidInput, NotFound
from ticketing.models import Contact, ContactKind, Priority, Ticket
from ticketing.sla.calendar import BusinessCalendar
from ticketing.sla.engine import DONE, refresh_deadlines
from ticketing.sla.models import (
    Calendar,
    DeadlineExtension,
    ExtensionStatus,
    Holiday,
    SlaPolicy,
)
from ticketing.tickets import claim_version, load_ticket, system_entry

Hours = Mapping[str, Sequence[Sequence[str]]]


@dataclass(frozen=True)
class CalendarDetail:
    calendar: Calendar
    holidays: list[Holiday]


@dataclass(frozen=True)
class PolicyInput:
    name: str
    calendar_id: int
    resolution_minutes: int
    first_response_minutes: int | None = None
    category_id: int | None = None
    priority: Priority | None = None
    organisation_id: int | None = None
    warn_before_minutes: int = 60
    raise_priority: bool = False
    escalate_team_id: int | None = None
    active: bool = True


class SlaService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_calendar(
        self, actor: Principal, name: str, timezone: str, hours: Hours, holidays: Mapping[date, str]
    ) -> CalendarDetail:
        check_calendar(timezone, hours, holidays)
        async with self.db.transaction() as session:
            if (await session.exec(select(Calendar).where(Calendar.name == name))).first():
                raise Conflict(f"a calendar named {name!r} already exists")
            calendar = Calendar(name=name, timezone=timezone, hours=_plain(hours))
            session.add(calendar)
            await session.flush()
            assert calendar.id is not None
            await _set_holidays(session, calendar.id, holidays)
            detail = await _calendar(session, calendar.id)
            audit(
                session,
                actor,
                "calendar.create",
                "calendar",
                calendar.id,
                after=_calendar_snap(detail),
            )
            return detail

    async def update_calendar(
        self,
        actor: Principal,
        calendar_id: int,
        *,
        timezone: str | None = None,
        hours: Hours | None = None,
        holidays: Mapping[date, str] | None = None,
    ) -> CalendarDetail:
        """Change a calendar; deadlines of open tickets under it are recomputed."""
        async with self.db.transaction() as session:
            detail = await _calendar(session, calendar_id)
            before = _calendar_snap(detail)
            calendar = detail.calendar
            new_holidays = (
                holidays if holidays is not None else {h.day: h.name for h in detail.holidays}
            )
            check_calendar(timezone or calendar.timezone, hours or calendar.hours, new_holidays)
            calendar.timezone = timezone or calendar.timezone
            if hours is not None:
                calendar.hours = _plain(hours)
            session.add(calendar)
            if holidays is not None:
                await _set_holidays(session, calendar_id, holidays)
            await session.flush()
            policies = await session.exec(
                select(SlaPolicy.id).where(SlaPolicy.calendar_id == calendar_id)
            )
            await _refresh_open_tickets(session, list(policies.all()))
            detail = await _calendar(session, calendar_id)
            audit(
                session,
                actor,
                "calendar.update",
                "calendar",
                calendar_id,
                before=before,
                after=_calendar_snap(detail),
            )
            return detail

    async def calendars(self) -> list[CalendarDetail]:
        async with self.db.session() as session:
            rows = (await session.exec(select(Calendar).order_by(Calendar.name))).all()  # type: ignore[arg-type]
            return [await _calendar(session, c.id) for c in rows if c.id is not None]

    async def create_policy(self, actor: Principal, new: PolicyInput) -> SlaPolicy:
        async with self.db.transaction() as session:
            await _check_policy(session, new)
            if (await session.exec(select(SlaPolicy).where(SlaPolicy.name == new.name))).first():
                raise Conflict(f"a policy named {new.name!r} already exists")
            policy = SlaPolicy(**new.__dict__)
            session.add(policy)
            await session.flush()
            await _refresh_open_tickets(session, None)
            audit(
                session, actor, "sla_policy.create", "sla_policy", policy.id, after=snapshot(policy)
            )
            return policy

    async def update_policy(self, actor: Principal, policy_id: int, new: PolicyInput) -> SlaPolicy:
        """Replace a policy's settings; open tickets' deadlines are recomputed."""
        async with self.db.transaction() as session:
            policy = await session.get(SlaPolicy, policy_id)
            if policy is None:
                raise NotFound(f"SLA policy {policy_id} not found")
            await _check_policy(session, new)
            before = snapshot(policy)
            for key, value in new.__dict__.items():
                setattr(policy, key, value)
            session.add(policy)
            await session.flush()
            await _refresh_open_tickets(session, None)
            audit(
                session,
                actor,
                "sla_policy.update",
                "sla_policy",
                policy_id,
                before=before,
                after=snapshot(policy),
            )
            return policy

    async def policies(self) -> list[SlaPolicy]:
        async with self.db.session() as session:
            return list((await session.exec(select(SlaPolicy).order_by(SlaPolicy.id))).all())  # type: ignore[arg-type]

    # -- deadline extensions -------------------------------------------------------------

    async def request_extension(
        self, actor: Principal, number: str, minutes: int, reason: str
    ) -> DeadlineExtension:
        if not reason.strip():
            raise InvalidInput("an extension request needs a reason")
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            if ticket.resolution_due_at is None or ticket.status in DONE:
                raise Conflict(f"ticket {number} has no running deadline to extend")
            open_request = await session.exec(
                select(DeadlineExtension).where(
                    DeadlineExtension.ticket_id == ticket.id,
                    DeadlineExtension.status == ExtensionStatus.PENDING,
                )
            )
            if open_request.first() is not None:
                raise Conflict(f"ticket {number} already has an extension request waiting")
            assert ticket.id is not None
            request = DeadlineExtension(
                ticket_id=ticket.id,
                minutes=minutes,
                reason=reason.strip(),
                requested_by_id=actor.user_id,
                requested_by=actor.name,
            )
            session.add(request)
            await session.flush()
            audit(session, actor, "extension.request", "ticket", number, after=snapshot(request))
            return request

    async def decide_extension(
        self, actor: Principal, extension_id: int, *, approve: bool
    ) -> DeadlineExtension:
        """Approve (the deadline moves by the requested business minutes) or reject."""
        async with self.db.transaction() as session:
            request = await session.get(DeadlineExtension, extension_id, with_for_update=True)
            if request is None:
                raise NotFound(f"extension request {extension_id} not found")
            ticket = await session.get(Ticket, request.ticket_id)
            assert ticket is not None
            await load_ticket(self.db, session, actor, ticket.number)  # the approver's scope
            if request.status is not ExtensionStatus.PENDING:
                raise Conflict(
                    f"extension request {extension_id} was already {request.status.value}"
                )
            before = snapshot(request)
            request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
            request.decided_by_id, request.decided_by = actor.user_id, actor.name
            request.decided_at = utcnow()
            session.add(request)
            if approve:
                await claim_version(session, ticket, None)
                ticket.sla_extension_minutes += request.minutes
                await refresh_deadlines(session, ticket)
                session.add(ticket)
                due = (
                    ticket.resolution_due_at.isoformat(timespec="minutes")
                    if ticket.resolution_due_at
                    else "-"
                )
                session.add(
                    system_entry(
                        ticket,
                        f"Deadline extended by {request.minutes} business minutes to {due}: "
                        f"{request.reason}",
                        actor,
                    )
                )
            action = "extension.approve" if approve else "extension.reject"
            audit(
                session,
                actor,
                action,
                "ticket",
                ticket.number,
                before=before,
                after=snapshot(request),
            )
            return request

    async def extensions(self, actor: Principal, number: str) -> list[DeadlineExtension]:
        async with self.db.session() as session:
            ticket = await load_ticket(self.db, session, actor, number)
            rows = await session.exec(
                select(DeadlineExtension)
                .where(DeadlineExtension.ticket_id == ticket.id)
                .order_by(DeadlineExtension.id)  # type: ignore[arg-type]
            )
            return list(rows.all())


def check_calendar(timezone: str, hours: Hours, holidays: Mapping[date, str]) -> None:
    spans = {day: [(str(s), str(e)) for s, e in v] for day, v in hours.items()}
    BusinessCalendar(timezone, spans, frozenset(holidays))


def _plain(hours: Hours) -> dict[str, list[list[str]]]:
    return {day: [[str(s), str(e)] for s, e in spans] for day, spans in hours.items()}


async def _check_policy(session: AsyncSession, new: PolicyInput) -> None:
    if not new.name.strip():
        raise InvalidInput("a policy needs a name")
    if new.resolution_minutes <= 0 or (new.first_response_minutes or 1) <= 0:
        raise InvalidInput("targets are positive numbers of business minutes")
    if await session.get(Calendar, new.calendar_id) is None:
        raise InvalidInput(f"calendar {new.calendar_id} does not exist")
    if new.category_id is not None and await session.get(Category, new.category_id) is None:
        raise InvalidInput(f"category {new.category_id} does not exist")
    if new.organisation_id is not None:
        organisation = await session.get(Contact, new.organisation_id)
        if organisation is None or organisation.kind != ContactKind.ORGANISATION:
            raise InvalidInput(f"organisation {new.organisation_id} does not exist")
    if new.escalate_team_id is not None and await session.get(Team, new.escalate_team_id) is None:
        raise InvalidInput(f"team {new.escalate_team_id} does not exist")


async def _refresh_open_tickets(session: AsyncSession, policy_ids: list[int | None] | None) -> None:
    """Recompute deadlines of tickets still running (all, or those under ``policy_ids``)."""
    statement = select(Ticket).where(Ticket.status.not_in(list(DONE)))  # type: ignore[attr-defined]
    if policy_ids is not None:
        statement = statement.where(Ticket.sla_policy_id.in_(policy_ids))  # type: ignore[union-attr]
    for ticket in (await session.exec(statement)).all():
        await refresh_deadlines(session, ticket)
        session.add(ticket)


async def _set_holidays(
    session: AsyncSession, calendar_id: int, holidays: Mapping[date, str]
) -> None:
    await session.exec(delete(Holiday).where(Holiday.calendar_id == calendar_id))  # type: ignore[arg-type]
    for day, name in sorted(holidays.items()):
        session.add(Holiday(calendar_id=calendar_id, day=day, name=name))
    await session.flush()


async def _calendar(session: AsyncSession, calendar_id: int) -> CalendarDetail:
    calendar = await session.get(Calendar, calendar_id)
    if calendar is None:
        raise NotFound(f"calendar {calendar_id} not found")
    rows = await session.exec(
        select(Holiday).where(Holiday.calendar_id == calendar_id).order_by(Holiday.day)  # type: ignore[arg-type]
    )
    return CalendarDetail(calendar, list(rows.all()))


def _calendar_snap(detail: CalendarDetail) -> dict[str, object]:
    return snapshot(detail.calendar, holidays=[h.day.isoformat() for h in detail.holidays])
