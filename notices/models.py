"""A works notice: an outage or planned works in some areas for a period of time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow

WHOLE_AREA = "*"


class NoticeKind(StrEnum):
    EMERGENCY = "emergency"  # an outage happening now
    PLANNED = "planned"  # works announced in advance


class WorksNotice(SQLModel, table=True):
    __tablename__ = "works_notices"

    id: int | None = Field(default=None, primary_key=True)
    kind: NoticeKind = Field(sa_type=enum_type(NoticeKind), index=True)
    title: str = Field(max_length=200)
    message: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="What callers and subscribers are told, per language (en, fi, sv, uk)",
    )
    areas: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="Postcodes affected, or '*' for the whole service area",
    )
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    expected_end_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
