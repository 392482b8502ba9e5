"""Persistent telephony records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type


class Disposition(StrEnum):
    ACTIVE = "active"  # the call is still up
    ANSWERED = "answered"  # answered by Switchboard and ended normally
    ABANDONED = "abandoned"  # the caller hung up before it was answered
    FAILED = "failed"  # a fault in Switchboard ended the call
    INTERRUPTED = "interrupted"  # the controller lost the call (crash/restart) and closed it


class CallRecord(SQLModel, table=True):
    __tablename__ = "call_records"
    __table_args__ = (UniqueConstraint("asterisk_node", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(index=True, max_length=128)
    asterisk_node: str = Field(max_length=64)
    direction: str = Field(default="inbound", max_length=16)
    caller_number: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=128)
    dialled_number: str = Field(default="", max_length=64)
    started_at: datetime = Field(sa_type=UtcDateTime, index=True)
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    disposition: Disposition = Field(
        default=Disposition.ACTIVE, sa_type=enum_type(Disposition), index=True
    )
    hangup_cause: str = Field(default="", max_length=64)
    duration_seconds: float | None = None
    talk_seconds: float | None = None
    path: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
