"""Request and response shapes for calendars, SLA policies and deadline extensions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ticketing.models import Priority
from ticketing.sla.models import ExtensionStatus
from web.schemas import DbId, Input

Hours = dict[str, list[tuple[str, str]]]
MINUTES_IN_A_YEAR = 366 * 24 * 60


class HolidayIn(Input):
    day: date
    name: str = Field("", max_length=100)


class CalendarIn(Input):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = Field(max_length=64, examples=["Europe/Helsinki"])
    hours: Hours = Field(
        description="Opening spans per weekday (mon..sun) as HH:MM pairs, e.g. 08:00-16:00"
    )
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=1000)


class CalendarPatch(Input):
    timezone: str | None = Field(None, max_length=64)
    hours: Hours | None = None
    holidays: list[HolidayIn] | None = Field(None, max_length=1000)


class HolidayOut(BaseModel):
    day: date
    name: str


class CalendarOut(BaseModel):
    id: int
    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holidays: list[HolidayOut]


class PolicyIn(Input):
    name: str = Field(min_length=1, max_length=100)
    calendar_id: DbId
    resolution_minutes: int = Field(ge=1, le=MINUTES_IN_A_YEAR, description="Business minutes")
    first_response_minutes: int | None = Field(None, ge=1, le=MINUTES_IN_A_YEAR)
    category_id: DbId | None = Field(None, description="Applies to it and its sub-categories")
    priority: Priority | None = None
    organisation_id: DbId | None = Field(
        None, description="A customer's own policy: tickets of this organisation"
    )
    warn_before_minutes: int = Field(60, ge=0, le=MINUTES_IN_A_YEAR)
    raise_priority: bool = Field(False, description="At breach: one priority step up")
    escalate_team_id: DbId | None = Field(None, description="At breach: hand to this team")
    active: bool = True


class PolicyOut(BaseModel):
    id: int
    name: str
    calendar_id: int
    resolution_minutes: int
    first_response_minutes: int | None
    category_id: int | None
    priority: Priority | None
    organisation_id: int | None
    warn_before_minutes: int
    raise_priority: bool
    escalate_team_id: int | None
    active: bool


class ExtensionIn(Input):
    minutes: int = Field(ge=1, le=MINUTES_IN_A_YEAR, description="Business minutes to add")
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionOut(BaseModel):
    id: int
    ticket_id: int
    minutes: int
    reason: str
    status: ExtensionStatus
    requested_by: str
    decided_by: str
    decided_at: datetime | None
    created_at: datetime
