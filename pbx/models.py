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
    NOT_REACHED = "not_reached"  # an outbound call the number did not answer


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
    flow: str = Field(default="", max_length=64, index=True)
    outcome: str = Field(default="", max_length=32, index=True)  # where the flow left the caller
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    agent: str = Field(default="", max_length=16, index=True)  # the ACD agent who answered


class SurveyAnswer(SQLModel, table=True):
    """One answer (1-5, or none when skipped) to a post-call survey question."""

    __tablename__ = "survey_answers"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call_records.id", index=True)
    survey: str = Field(max_length=64, index=True)
    question: str = Field(max_length=64)
    answer: int | None = None
    agent: str = Field(default="", max_length=64, index=True)  # who handled the call
    created_at: datetime = Field(sa_type=UtcDateTime)


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackRequest(SQLModel, table=True):
    """A caller asked to be called back; agents work these in order of request."""

    __tablename__ = "callback_requests"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call_records.id", index=True)
    number: str = Field(max_length=64)
    queue: str = Field(default="", max_length=64, index=True)
    status: CallbackStatus = Field(
        default=CallbackStatus.PENDING, sa_type=enum_type(CallbackStatus), index=True
    )
    requested_at: datetime = Field(sa_type=UtcDateTime, index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class VoicemailStatus(StrEnum):
    RECORDED = "recorded"  # the audio is on disk; waiting for the call to end
    FILED = "filed"  # transcribed (when a model exists) and added to the call's ticket


class Voicemail(SQLModel, table=True):
    __tablename__ = "voicemails"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call_records.id", index=True)
    mailbox: str = Field(max_length=64, index=True)
    recording: str = Field(max_length=300, description="file on this host")
    language: str = Field(default="en", max_length=8)
    duration_seconds: float
    status: VoicemailStatus = Field(
        default=VoicemailStatus.RECORDED, sa_type=enum_type(VoicemailStatus), index=True
    )
    transcript: str | None = None
    ticket_entry_id: int | None = Field(default=None, foreign_key="ticket_entries.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
