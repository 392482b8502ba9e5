"""Rules: checking them, matching a ticket event against their conditions, and running
their actions inside the transaction of the change that fired them.

Actions change the ticket directly (never through the services), so a rule cannot fire
another rule: no loops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ticketing.access.models import User
from ticketing.access.roles import Principal, Role
from ticketing.catalog.models import Category, Team
from ticketing.errors import InvalidInput
from ticketing.models import (
    EntryKind,
    Priority,
    Ticket,
    TicketAssignee,
    TicketEntry,
    TicketTag,
)

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "entry.created",  # a reply, note or message from any channel was added
    "ticket.sla_warning",
    "ticket.sla_breach",
)
AUTOMATION = Principal(user_id=None, name="automation", role=Role.ADMIN)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Literal[
        "channel",
        "priority",
        "status",
        "category",  # a category path; matches it and everything under it
        "team_id",
        "contact_id",
        "organisation_id",
        "tag",
        "text",  # any of the words, in the subject, description or the new entry
        "direction",  # of the new entry: inbound / outbound
    ]
    op: Literal["equals", "in", "contains"] = "equals"
    value: int | str | list[str]


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "set_priority",  # value: low/normal/high/urgent
        "assign_team",  # value: team id
        "add_assignees",  # value: [user ids]
        "add_tag",  # value: tag
        "reply",  # value: template; {number} {subject} {status} are filled in
        "note",  # value: internal note text
        "webhook",  # value: webhook id, for this rule only
    ]
    value: int | str | list[int]


@dataclass(frozen=True)
class CheckedRule:
    event: str
    conditions: list[Condition]
    actions: list[Action]


def check_rule(event: str, conditions: Sequence[Any], actions: Sequence[Any]) -> CheckedRule:
    if event not in EVENTS:
        raise InvalidInput(f"unknown event {event!r}; events: {', '.join(EVENTS)}")
    try:
        checked_conditions = [Condition.model_validate(c) for c in conditions]
        checked_actions = [Action.model_validate(a) for a in actions]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"invalid rule: {problems}") from exc
    if not checked_actions:
        raise InvalidInput("a rule needs at least one action")
    for action in checked_actions:
        if action.action == "set_priority" and action.value not in [p.value for p in Priority]:
            raise InvalidInput(f"set_priority takes one of {', '.join(p.value for p in Priority)}")
    return CheckedRule(event, checked_conditions, checked_actions)


@dataclass
class Facts:
    """What conditions look at: the ticket, its tags and category, the new entry."""

    ticket: Ticket
    tags: set[str]
    category_path: str
    entry: TicketEntry | None


async def facts(session: AsyncSession, ticket: Ticket, entry: TicketEntry | None) -> Facts:
    tags = set(
        (await session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))).all()
    )
    category = await session.get(Category, ticket.category_id) if ticket.category_id else None
    return Facts(ticket, tags, category.path if category else "", entry)


def matches(condition: Condition, facts: Facts) -> bool:
    t = facts.ticket
    wanted = condition.value if isinstance(condition.value, list) else [condition.value]
    wanted_text = [str(w).lower() for w in wanted]
    if condition.field == "text":
        haystack = f"{t.subject} {t.description} {facts.entry.body if facts.entry else ''}".lower()
        return any(word in haystack for word in wanted_text)
    if condition.field == "tag":
        return any(w in facts.tags for w in wanted_text)
    if condition.field == "category":
        return any(
            facts.category_path == w.upper() or facts.category_path.startswith(f"{w.upper()}/")
            for w in wanted_text
        )
    if condition.field == "direction":
        actual: Any = facts.entry.direction if facts.entry else None
    else:
        actual = getattr(t, condition.field)
    actual = actual.value if hasattr(actual, "value") else actual
    if condition.op == "contains":
        return actual is not None and any(w in str(actual).lower() for w in wanted_text)
    return actual is not None and str(actual).lower() in wanted_text


async def apply(session: AsyncSession, action: Action, ticket: Ticket) -> list[int]:
    """Run one action; the ids of webhooks it asks to call."""
    assert ticket.id is not None
    value = action.value
    if action.action == "set_priority":
        ticket.priority = Priority(str(value))
    elif action.action == "assign_team":
        if await session.get(Team, int(str(value))) is None:
            raise InvalidInput(f"rule names team {value}, which does not exist")
        ticket.team_id = int(str(value))
    elif action.action == "add_assignees":
        ids = value if isinstance(value, list) else [int(str(value))]
        current = set(
            (
                await session.exec(
                    select(TicketAssignee.user_id).where(TicketAssignee.ticket_id == ticket.id)
                )
            ).all()
        )
        for user_id in ids:
            user = await session.get(User, user_id)
            if user is not None and user.active and user_id not in current:
                session.add(TicketAssignee(ticket_id=ticket.id, user_id=user_id))
    elif action.action == "add_tag":
        tag = str(value).strip().lower()
        exists = await session.get(TicketTag, (ticket.id, tag))
        if exists is None:
            session.add(TicketTag(ticket_id=ticket.id, tag=tag))
    elif action.action in ("reply", "note"):
        text = str(value)
        if action.action == "reply":
            fields = {
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status.value,
            }
            text = text.format_map(_Blank(fields))
        session.add(
            TicketEntry(
                ticket_id=ticket.id,
                kind=EntryKind.REPLY if action.action == "reply" else EntryKind.NOTE,
                channel="web",
                direction="outbound" if action.action == "reply" else "internal",
                internal=action.action == "note",
                author_name=AUTOMATION.name,
                body=text,
            )
        )
    elif action.action == "webhook":
        return [int(str(value))]
    session.add(ticket)
    return []


class _Blank(dict[str, str]):
    """Unknown placeholders stay as they are rather than failing the rule."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
