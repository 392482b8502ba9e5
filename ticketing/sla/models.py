"""Business calendars, SLA policies, deadline extensions, and stored time-based jobs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow
from ticketing.models import Priority


class Calendar(SQLModel, table=True):
    __tablename__ = "calendars"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    timezone: str = Field(max_length=64)  # IANA, e.g. Europe/Helsinki
    hours: dict[str, list[list[str]]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # {"mon": [["08:00", "16:00"]], ...}
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Holiday(SQLModel, table=True):
    __tablename__ = "calendar_holidays"

    calendar_id: int = Field(foreign_key="calendars.id", primary_key=True)
    day: date = Field(primary_key=True)
    name: str = Field(default="", max_length=100)


class SlaPolicy(SQLModel, table=True):
    """Targets for tickets of a customer, category and/or priority; the most specific applies."""

    __tablename__ = "sla_policies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    calendar_id: int = Field(foreign_key="calendars.id")
    category_id: int | None = Field(default=None, foreign_key="categories.id")  # and below
    # a customer's contract: tickets of this organisation (its people's tickets too)
    organisation_id: int | None = Field(default=None, foreign_key="contacts.id")
    priority: Priority | None = Field(default=None, sa_type=enum_type(Priority))
    first_response_minutes: int | None = None  # business minutes
    resolution_minutes: int  # business minutes
    warn_before_minutes: int = 60  # wall-clock minutes before the resolution deadline
    raise_priority: bool = False  # at breach: one step up
    escalate_team_id: int | None = Field(default=None, foreign_key="teams.id")  # at breach
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeadlineExtension(SQLModel, table=True):
    """A request for more time on a ticket's deadline, decided by a supervisor."""

    __tablename__ = "deadline_extensions"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    minutes: int  # business minutes added to the resolution deadline
    reason: str = Field(max_length=2000)
    status: ExtensionStatus = Field(
        default=ExtensionStatus.PENDING, sa_type=enum_type(ExtensionStatus), index=True
    )
    requested_by_id: int | None = Field(default=None, foreign_key="users.id")
    requested_by: str = Field(max_length=200)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_by: str = Field(default="", max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ScheduledJob(SQLModel, table=True):
    """Time-based work, stored so that it survives restarts; polled by the scheduler."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (UniqueConstraint("kind", "ticket_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)  # e.g. sla.warning, sla.breach
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
