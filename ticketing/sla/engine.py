"""Deadlines of a ticket: choosing its policy, computing due times in business time,
pausing while pending, and keeping the stored jobs (warning, breach) in step.

Every function works inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db_types import utcnow
from ticketing.catalog.models import Category
from ticketing.models import Ticket, TicketStatus
from ticketing.sla.calendar import BusinessCalendar
from ticketing.sla.models import Calendar, Holiday, ScheduledJob, SlaPolicy

WARNING = "sla.warning"
BREACH = "sla.breach"
FIRST_RESPONSE_BREACH = "sla.first_response_breach"
SLA_JOBS = (WARNING, BREACH, FIRST_RESPONSE_BREACH)
DONE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


async def business_calendar(session: AsyncSession, calendar_id: int) -> BusinessCalendar:
    calendar = await session.get(Calendar, calendar_id)
    assert calendar is not None
    holidays = await session.exec(select(Holiday.day).where(Holiday.calendar_id == calendar_id))
    hours = {day: [(s, e) for s, e in spans] for day, spans in calendar.hours.items()}
    return BusinessCalendar(calendar.timezone, hours, frozenset(holidays.all()))


async def choose_policy(session: AsyncSession, ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy: the customer's own first, then category depth,
    then priority."""
    ancestry: dict[int, int] = {}  # category id -> depth
    if ticket.category_id is not None:
        category = await session.get(Category, ticket.category_id)
        if category is not None:
            codes = category.path.split("/")
            paths = ["/".join(codes[: i + 1]) for i in range(len(codes))]
            rows = await session.exec(select(Category).where(Category.path.in_(paths)))  # type: ignore[attr-defined]
            ancestry = {c.id: c.level + 1 for c in rows.all() if c.id is not None}
    best: tuple[int, int, int, int] | None = None
    chosen = None
    for policy in (await session.exec(select(SlaPolicy).where(SlaPolicy.active == True))).all():  # noqa: E712
        if policy.category_id is not None and policy.category_id not in ancestry:
            continue
        if policy.priority is not None and policy.priority != ticket.priority:
            continue
        if policy.organisation_id is not None and policy.organisation_id != ticket.organisation_id:
            continue
        score = (
            1 if policy.organisation_id else 0,
            ancestry.get(policy.category_id, 0) if policy.category_id else 0,
            1 if policy.priority else 0,
            -(policy.id or 0),
        )
        if best is None or score > best:
            best, chosen = score, policy
    return chosen


async def refresh_deadlines(session: AsyncSession, ticket: Ticket) -> None:
    """Recompute the ticket's policy and due times, and reschedule its jobs."""
    policy = await choose_policy(session, ticket)
    if policy is None:
        ticket.sla_policy_id = None
        ticket.first_response_due_at = ticket.resolution_due_at = None
        await _cancel_jobs(session, ticket)
        return
    calendar = await business_calendar(session, policy.calendar_id)
    extra = ticket.sla_paused_minutes + ticket.sla_extension_minutes
    ticket.sla_policy_id = policy.id
    ticket.first_response_due_at = (
        calendar.add(ticket.created_at, policy.first_response_minutes + extra)
        if policy.first_response_minutes is not None
        else None
    )
    ticket.resolution_due_at = calendar.add(ticket.created_at, policy.resolution_minutes + extra)
    await reschedule(session, ticket, policy)


async def reschedule(session: AsyncSession, ticket: Ticket, policy: SlaPolicy) -> None:
    if ticket.status in DONE or ticket.sla_paused_at is not None:
        await _cancel_jobs(session, ticket)
        return
    assert ticket.resolution_due_at is not None
    due = {
        WARNING: ticket.resolution_due_at - timedelta(minutes=policy.warn_before_minutes),
        BREACH: ticket.resolution_due_at,
    }
    if ticket.first_response_due_at is not None and ticket.first_response_at is None:
        due[FIRST_RESPONSE_BREACH] = ticket.first_response_due_at
    existing = {job.kind: job for job in await _jobs(session, ticket)}
    for kind in SLA_JOBS:
        job = existing.get(kind)
        if kind not in due:
            if job is not None and job.done_at is None:
                job.done_at = utcnow()
                session.add(job)
            continue
        if job is None:
            assert ticket.id is not None
            session.add(ScheduledJob(kind=kind, ticket_id=ticket.id, due_at=due[kind]))
        elif job.due_at != due[kind] or job.done_at is not None:
            job.due_at, job.done_at, job.attempts, job.last_error = due[kind], None, 0, ""
            session.add(job)


async def status_changed(
    session: AsyncSession, ticket: Ticket, before: TicketStatus, now: datetime | None = None
) -> None:
    """Pause the clock on pending, resume it (pushing deadlines) on leaving pending."""
    now = now or utcnow()
    after = ticket.status
    if after is TicketStatus.PENDING and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    if before is TicketStatus.PENDING and after is not TicketStatus.PENDING:
        if ticket.sla_paused_at is not None and ticket.sla_policy_id is not None:
            policy = await session.get(SlaPolicy, ticket.sla_policy_id)
            if policy is not None:
                calendar = await business_calendar(session, policy.calendar_id)
                ticket.sla_paused_minutes += calendar.minutes_between(ticket.sla_paused_at, now)
        ticket.sla_paused_at = None
    if ticket.sla_policy_id is not None or after not in DONE:
        await refresh_deadlines(session, ticket)


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    """Past a deadline and not resolved; a paused ticket is judged at its pause."""
    if ticket.status in DONE:
        return False
    at = ticket.sla_paused_at or now or utcnow()
    late_response = (
        ticket.first_response_due_at is not None
        and ticket.first_response_at is None
        and ticket.first_response_due_at < at
    )
    return late_response or (ticket.resolution_due_at is not None and ticket.resolution_due_at < at)


async def _jobs(session: AsyncSession, ticket: Ticket) -> list[ScheduledJob]:
    rows = await session.exec(
        select(ScheduledJob).where(
            ScheduledJob.ticket_id == ticket.id,
            ScheduledJob.kind.in_(SLA_JOBS),  # type: ignore[attr-defined]
        )
    )
    return list(rows.all())


async def _cancel_jobs(session: AsyncSession, ticket: Ticket) -> None:
    if ticket.id is None:
        return
    now = utcnow()
    for job in await _jobs(session, ticket):
        if job.done_at is None:
            job.done_at = now
            session.add(job)
