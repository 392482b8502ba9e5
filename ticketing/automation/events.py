"""Ticket events: the one place changes leave through. In the transaction of the change
it runs the automation rules and writes a delivery for every webhook that wants the
event (an outbox: nothing is sent before the change is committed)."""

from __future__ import annotations

import fnmatch
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.automation.models import Rule, Webhook, WebhookDelivery
from ticketing.automation.rules import AUTOMATION, apply, check_rule, facts, matches
from ticketing.models import Ticket, TicketEntry
from ticketing.sla.engine import refresh_deadlines
from ticketing.tickets import claim_version


async def emit(
    session: AsyncSession,
    event: str,
    ticket: Ticket,
    actor: Principal,
    entry: TicketEntry | None = None,
) -> None:
    await session.flush()
    extra_hooks = await run_rules(session, event, ticket, entry)
    payload = _payload(event, ticket, actor, entry)
    hooks = (await session.exec(select(Webhook).where(Webhook.active == True))).all()  # noqa: E712
    for hook in hooks:
        wanted = any(fnmatch.fnmatchcase(event, pattern) for pattern in hook.events)
        if hook.id is not None and (wanted or hook.id in extra_hooks):
            session.add(WebhookDelivery(webhook_id=hook.id, event=event, payload=payload))


async def run_rules(
    session: AsyncSession, event: str, ticket: Ticket, entry: TicketEntry | None
) -> set[int]:
    """Run the matching rules in order; the webhooks their actions name."""
    rules = (
        await session.exec(
            select(Rule)
            .where(Rule.event == event, Rule.active == True)  # noqa: E712
            .order_by(Rule.position, Rule.id)  # type: ignore[arg-type]
        )
    ).all()
    if not rules:
        return set()
    known = await facts(session, ticket, entry)
    hooks: set[int] = set()
    fired = False
    for rule in rules:
        checked = check_rule(rule.event, rule.conditions, rule.actions)
        if not all(matches(c, known) for c in checked.conditions):
            continue
        if not fired:
            await claim_version(session, ticket, None)
            fired = True
        for action in checked.actions:
            hooks.update(await apply(session, action, ticket))
        known = await facts(session, ticket, entry)
        audit(
            session,
            AUTOMATION,
            "automation.rule",
            "ticket",
            ticket.number,
            after={"rule": rule.name, "event": event},
        )
    if fired:
        await refresh_deadlines(session, ticket)
        session.add(ticket)
        await session.flush()
    return hooks


def _payload(
    event: str, ticket: Ticket, actor: Principal, entry: TicketEntry | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event": event,
        "at": utcnow().isoformat(),
        "actor": actor.name,
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status.value,
            "priority": ticket.priority.value,
            "channel": ticket.channel,
            "team_id": ticket.team_id,
            "category_id": ticket.category_id,
            "contact_id": ticket.contact_id,
            "organisation_id": ticket.organisation_id,
            "version": ticket.version,
            "resolution_due_at": ticket.resolution_due_at.isoformat()
            if ticket.resolution_due_at
            else None,
        },
    }
    if entry is not None and not entry.internal:
        data["entry"] = {
            "id": entry.id,
            "kind": entry.kind.value,
            "channel": entry.channel,
            "direction": entry.direction,
            "body": entry.body,
        }
    return data
