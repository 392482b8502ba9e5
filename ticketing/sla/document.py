"""Calendars and SLA policies as one YAML document, for ``switchboard admin sla``.

References are by name, as an admin writes them: a policy names its calendar, category
(by code path, e.g. ``WATER/LEAK``) and escalation team; a customer's policy names the
organisation by contact id. Importing creates or replaces by name. Every item is checked,
and every reference resolved, before anything is written.
"""

from __future__ import annotations

from datetime import date

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.yaml_loader import YamlSyntaxError, load_yaml
from ticketing.access.roles import Principal
from ticketing.catalog.models import Category, Team
from ticketing.errors import InvalidInput
from ticketing.models import Contact, ContactKind, Priority
from ticketing.sla.service import PolicyInput, SlaService, check_calendar


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalendarItem(_Strict):
    name: str = Field(min_length=1, max_length=100)
    timezone: str
    hours: dict[str, list[tuple[str, str]]]
    holidays: dict[date, str] = Field(default_factory=dict)


class PolicyItem(_Strict):
    name: str = Field(min_length=1, max_length=100)
    calendar: str
    resolution_minutes: int = Field(ge=1)
    first_response_minutes: int | None = Field(None, ge=1)
    category: str | None = None
    priority: Priority | None = None
    organisation: int | None = None
    warn_before_minutes: int = Field(60, ge=0)
    raise_priority: bool = False
    escalate_team: str | None = None
    active: bool = True


class SlaDocument(_Strict):
    calendars: list[CalendarItem] = Field(default_factory=list)
    policies: list[PolicyItem] = Field(default_factory=list)


def parse_document(text: str) -> SlaDocument:
    """The document, or an InvalidInput naming the line, column and field that is wrong.

    Plain scalars follow YAML 1.2, so opening hours like ``16:00`` stay text."""
    try:
        loaded = load_yaml(text)
    except YamlSyntaxError as exc:
        raise InvalidInput(f"{exc.mark.line}:{exc.mark.column}: {exc.message}") from exc
    if loaded.duplicates:
        twice = loaded.duplicates[0]
        raise InvalidInput(
            f"{twice.second.line}:{twice.second.column}: {twice.key!r} is given twice"
        )
    try:
        return SlaDocument.model_validate(loaded.data if loaded.data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        mark = loaded.value_mark(tuple(first["loc"]))
        field = ".".join(str(part) for part in first["loc"]) or "the document"
        raise InvalidInput(f"{mark.line}:{mark.column}: {field}: {first['msg']}") from exc


class SlaDocuments:
    """Export and import of calendars and policies through the audited SlaService."""

    def __init__(self, sla: SlaService) -> None:
        self.sla = sla
        self.db = sla.db

    async def export_yaml(self) -> str:
        calendars = await self.sla.calendars()
        names = {c.calendar.id: c.calendar.name for c in calendars}
        async with self.db.session() as session:
            paths = {c.id: c.path for c in (await session.exec(select(Category))).all()}
            teams = {t.id: t.name for t in (await session.exec(select(Team))).all()}
        document = {
            "calendars": [
                {
                    "name": c.calendar.name,
                    "timezone": c.calendar.timezone,
                    "hours": c.calendar.hours,
                    "holidays": {h.day.isoformat(): h.name for h in c.holidays},
                }
                for c in calendars
            ],
            "policies": [
                {
                    "name": p.name,
                    "calendar": names[p.calendar_id],
                    "resolution_minutes": p.resolution_minutes,
                    "first_response_minutes": p.first_response_minutes,
                    "category": paths.get(p.category_id),
                    "priority": p.priority.value if p.priority else None,
                    "organisation": p.organisation_id,
                    "warn_before_minutes": p.warn_before_minutes,
                    "raise_priority": p.raise_priority,
                    "escalate_team": teams.get(p.escalate_team_id),
                    "active": p.active,
                }
                for p in await self.sla.policies()
            ],
        }
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)

    async def import_yaml(self, actor: Principal, text: str) -> tuple[int, int]:
        """Create or replace (by name) the calendars, then the policies; returns the counts."""
        document = parse_document(text)
        calendars = {c.calendar.name: c.calendar.id for c in await self.sla.calendars()}
        policies = {p.name: p.id for p in await self.sla.policies()}
        await self._check_references(document, set(calendars))
        for item in document.calendars:
            calendar_id = calendars.get(item.name)
            if calendar_id is None:
                made = await self.sla.create_calendar(
                    actor, item.name, item.timezone, item.hours, item.holidays
                )
                calendars[item.name] = made.calendar.id
            else:
                await self.sla.update_calendar(
                    actor,
                    calendar_id,
                    timezone=item.timezone,
                    hours=item.hours,
                    holidays=item.holidays,
                )
        for item in document.policies:
            new = await self._policy_input(item, calendars)
            policy_id = policies.get(item.name)
            if policy_id is None:
                await self.sla.create_policy(actor, new)
            else:
                await self.sla.update_policy(actor, policy_id, new)
        return len(document.calendars), len(document.policies)

    async def _check_references(self, document: SlaDocument, known_calendars: set[str]) -> None:
        for number, calendar in enumerate(document.calendars, start=1):
            try:
                check_calendar(calendar.timezone, calendar.hours, calendar.holidays)
            except InvalidInput as exc:
                raise InvalidInput(f"calendar {number} ({calendar.name}): {exc.message}") from exc
        calendars = known_calendars | {c.name for c in document.calendars}
        async with self.db.session() as session:
            for number, item in enumerate(document.policies, start=1):
                where = f"policy {number} ({item.name})"
                if item.calendar not in calendars:
                    raise InvalidInput(f"{where}: no calendar is named {item.calendar!r}")
                if item.category is not None and await _category_id(session, item.category) is None:
                    raise InvalidInput(f"{where}: no category has the path {item.category!r}")
                if (
                    item.escalate_team is not None
                    and await _team_id(session, item.escalate_team) is None
                ):
                    raise InvalidInput(f"{where}: no team is named {item.escalate_team!r}")
                if item.organisation is not None:
                    contact = await session.get(Contact, item.organisation)
                    if contact is None or contact.kind != ContactKind.ORGANISATION:
                        raise InvalidInput(
                            f"{where}: organisation {item.organisation} does not exist"
                        )

    async def _policy_input(
        self, item: PolicyItem, calendars: dict[str, int | None]
    ) -> PolicyInput:
        async with self.db.session() as session:
            category_id = await _category_id(session, item.category) if item.category else None
            team_id = await _team_id(session, item.escalate_team) if item.escalate_team else None
        calendar_id = calendars[item.calendar]
        assert calendar_id is not None
        return PolicyInput(
            name=item.name,
            calendar_id=calendar_id,
            resolution_minutes=item.resolution_minutes,
            first_response_minutes=item.first_response_minutes,
            category_id=category_id,
            priority=item.priority,
            organisation_id=item.organisation,
            warn_before_minutes=item.warn_before_minutes,
            raise_priority=item.raise_priority,
            escalate_team_id=team_id,
            active=item.active,
        )


async def _category_id(session: AsyncSession, path: str) -> int | None:
    return (await session.exec(select(Category.id).where(Category.path == path))).first()


async def _team_id(session: AsyncSession, name: str) -> int | None:
    return (await session.exec(select(Team.id).where(Team.name == name))).first()
