"""Service levels: calendars, policies, and deadline extensions on tickets."""

from __future__ import annotations

from fastapi import APIRouter

from ticketing.sla.models import DeadlineExtension
from ticketing.sla.service import CalendarDetail, PolicyInput
from web.deps import PathId, Services, SlaApprover, SlaManager, SlaReader, TicketEditor
from web.schemas_sla import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    ExtensionIn,
    ExtensionOut,
    HolidayOut,
    PolicyIn,
    PolicyOut,
)

router = APIRouter(prefix="/api", tags=["service levels"])


def _calendar(detail: CalendarDetail) -> CalendarOut:
    c = detail.calendar
    return CalendarOut(
        id=c.id or 0,
        name=c.name,
        timezone=c.timezone,
        hours=c.hours,
        holidays=[HolidayOut(day=h.day, name=h.name) for h in detail.holidays],
    )


def _extension(row: DeadlineExtension) -> ExtensionOut:
    return ExtensionOut.model_validate(row, from_attributes=True)


@router.get("/calendars")
async def list_calendars(services: Services, _actor: SlaReader) -> list[CalendarOut]:
    return [_calendar(c) for c in await services.sla.calendars()]


@router.post("/calendars", status_code=201)
async def create_calendar(body: CalendarIn, services: Services, actor: SlaManager) -> CalendarOut:
    detail = await services.sla.create_calendar(
        actor, body.name, body.timezone, body.hours, {h.day: h.name for h in body.holidays}
    )
    return _calendar(detail)


@router.patch("/calendars/{calendar_id}")
async def update_calendar(
    calendar_id: PathId, body: CalendarPatch, services: Services, actor: SlaManager
) -> CalendarOut:
    """Change hours, time zone or holidays; open tickets' deadlines are recomputed."""
    holidays = None if body.holidays is None else {h.day: h.name for h in body.holidays}
    detail = await services.sla.update_calendar(
        actor, calendar_id, timezone=body.timezone, hours=body.hours, holidays=holidays
    )
    return _calendar(detail)


@router.get("/sla-policies")
async def list_policies(services: Services, _actor: SlaReader) -> list[PolicyOut]:
    return [
        PolicyOut.model_validate(p, from_attributes=True) for p in await services.sla.policies()
    ]


@router.post("/sla-policies", status_code=201)
async def create_policy(body: PolicyIn, services: Services, actor: SlaManager) -> PolicyOut:
    policy = await services.sla.create_policy(actor, PolicyInput(**body.model_dump()))
    return PolicyOut.model_validate(policy, from_attributes=True)


@router.put("/sla-policies/{policy_id}")
async def replace_policy(
    policy_id: PathId, body: PolicyIn, services: Services, actor: SlaManager
) -> PolicyOut:
    policy = await services.sla.update_policy(actor, policy_id, PolicyInput(**body.model_dump()))
    return PolicyOut.model_validate(policy, from_attributes=True)


@router.get("/tickets/{number}/extensions")
async def list_extensions(number: str, services: Services, actor: SlaReader) -> list[ExtensionOut]:
    return [_extension(e) for e in await services.sla.extensions(actor, number)]


@router.post("/tickets/{number}/extensions", status_code=201)
async def request_extension(
    number: str, body: ExtensionIn, services: Services, actor: TicketEditor
) -> ExtensionOut:
    """Ask for more time, with a reason; a supervisor approves or rejects it."""
    row = await services.sla.request_extension(actor, number, body.minutes, body.reason)
    return _extension(row)


@router.post("/extensions/{extension_id}/approve")
async def approve_extension(
    extension_id: PathId, services: Services, actor: SlaApprover
) -> ExtensionOut:
    return _extension(await services.sla.decide_extension(actor, extension_id, approve=True))


@router.post("/extensions/{extension_id}/reject")
async def reject_extension(
    extension_id: PathId, services: Services, actor: SlaApprover
) -> ExtensionOut:
    return _extension(await services.sla.decide_extension(actor, extension_id, approve=False))
