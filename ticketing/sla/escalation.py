"""What happens when a deadline comes near or passes: a note in the thread, an event on
the bus, and at breach the policy's escalation (raise priority, hand to another team)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.bus import EventBus
from ticketing.access.roles import Principal, Role
from ticketing.audit import audit, snapshot
from ticketing.automation.events import emit
from ticketing.models import Priority, Ticket
from ticketing.scheduler import AFTER_COMMIT, JobHandler
from ticketing.sla.engine import BREACH, DONE, FIRST_RESPONSE_BREACH, WARNING
from ticketing.sla.models import ScheduledJob, SlaPolicy
from ticketing.tickets import claim_version, system_entry

SCHEDULER = Principal(user_id=None, name="scheduler", role=Role.ADMIN)
_ORDER = list(Priority)


class SlaEscalation:
    """The scheduler's handlers for SLA jobs; events leave through the bus after commit."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def handlers(self) -> dict[str, JobHandler]:
        return {WARNING: self.warning, BREACH: self.breach, FIRST_RESPONSE_BREACH: self.late}

    async def warning(self, session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
        ticket = await self._live(session, job)
        if ticket is None or ticket.resolution_due_at is None:
            return
        ticket.sla_warned_at = now
        session.add(ticket)
        due = ticket.resolution_due_at.isoformat(timespec="minutes")
        session.add(system_entry(ticket, f"SLA warning: resolution is due at {due}.", SCHEDULER))
        await emit(session, "ticket.sla_warning", ticket, SCHEDULER)
        await self._publish(session, "ticket.sla_warning", ticket)

    async def breach(self, session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
        ticket = await self._live(session, job)
        if ticket is None or ticket.resolution_due_at is None or ticket.resolution_due_at > now:
            return
        before = snapshot(ticket)
        await claim_version(session, ticket, None)
        ticket.sla_breached_at = now
        policy = (
            await session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
        )
        steps = ["SLA breached: the resolution deadline has passed."]
        if policy is not None and policy.raise_priority and ticket.priority is not Priority.URGENT:
            ticket.priority = _ORDER[_ORDER.index(ticket.priority) + 1]
            steps.append(f"Priority raised to {ticket.priority.value}.")
        if policy is not None and policy.escalate_team_id not in (None, ticket.team_id):
            ticket.team_id = policy.escalate_team_id
            steps.append("Handed to the escalation team.")
        session.add(ticket)
        session.add(system_entry(ticket, " ".join(steps), SCHEDULER))
        audit(
            session,
            SCHEDULER,
            "ticket.sla_breach",
            "ticket",
            ticket.number,
            before=before,
            after=snapshot(ticket),
        )
        await emit(session, "ticket.sla_breach", ticket, SCHEDULER)
        await self._publish(session, "ticket.sla_breach", ticket)

    async def late(self, session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
        ticket = await self._live(session, job)
        if ticket is None or ticket.first_response_at is not None:
            return
        session.add(system_entry(ticket, "SLA breached: no first response in time.", SCHEDULER))
        await self._publish(session, "ticket.sla_first_response_breach", ticket)

    async def _live(self, session: AsyncSession, job: ScheduledJob) -> Ticket | None:
        """The ticket if the deadline still matters (open, clock running)."""
        ticket = await session.get(Ticket, job.ticket_id)
        if ticket is None or ticket.status in DONE or ticket.sla_paused_at is not None:
            return None
        return ticket

    async def _publish(self, session: AsyncSession, topic: str, ticket: Ticket) -> None:
        data = {
            "number": ticket.number,
            "priority": ticket.priority.value,
            "team_id": ticket.team_id,
            "resolution_due_at": ticket.resolution_due_at.isoformat()
            if ticket.resolution_due_at
            else None,
        }
        bus = self.bus

        async def after_commit() -> None:
            await bus.publish(topic, data)

        session.info.setdefault(AFTER_COMMIT, []).append(after_commit)
