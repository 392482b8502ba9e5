"""ACD records: agents (with their SIP account), queues, and the queue log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, utcnow


class Agent(SQLModel, table=True):
    """A person taking contacts. Their SIP account is the endpoint named by ``extension``.

    Only the digest hash (``md5(extension:realm:password)``) is stored: the password is
    shown once when generated.
    """

    __tablename__ = "acd_agents"

    id: int | None = Field(default=None, primary_key=True)
    extension: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=128)
    sip_md5: str = Field(max_length=32)
    skills: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="Skill name -> level (1-10)",
    )
    queues: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="Names of the queues the agent serves",
    )
    capacity: dict[str, int] = Field(
        default_factory=lambda: {"voice": 1},
        sa_column=Column(JSON, nullable=False),
        description="Channel -> how many contacts of that channel at once",
    )
    user_id: int | None = Field(default=None, unique=True, index=True)  # their web login
    team: str | None = Field(default=None, max_length=64, index=True)  # an AcdTeam's name
    webrtc: bool = False  # a browser softphone over WSS (DTLS-SRTP, opus, ICE)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AcdQueue(SQLModel, table=True):
    """A queue: its priority among queues, the skills it needs and its time limits."""

    __tablename__ = "acd_queues"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    priority: int = 0  # higher is served first when an agent serves several queues
    skills: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="Skill name -> minimum level an agent needs",
    )
    strategy: str = Field(default="longest_idle", max_length=32)
    max_wait_seconds: int | None = None
    max_callers: int | None = None  # callers waiting at most; more overflow or leave
    leave_when_empty: bool = False  # nobody logged in to serve it: callers overflow or leave
    overflow_queue: str | None = Field(default=None, max_length=64)
    wrapup_seconds: int = 10
    no_answer_seconds: int = 15
    announce_every_seconds: int | None = None  # position and estimated wait, every N s
    callback_key: str | None = Field(default=None, max_length=1)  # press to be called back
    caller_id: str = Field(default="", max_length=64)  # shown on calls placed for the queue
    record: bool = False  # record the bridged conversation onto the call's ticket entry
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class QueueEvent(SQLModel, table=True):
    """One line of the queue log: entered, offered, answered, abandoned, completed, ..."""

    __tablename__ = "acd_queue_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    queue: str = Field(default="", max_length=64, index=True)
    event: str = Field(max_length=32, index=True)
    contact_id: str = Field(default="", max_length=128, index=True)
    agent: str = Field(default="", max_length=16, index=True)
    wait_seconds: float | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AcdTeam(SQLModel, table=True):
    """A group of agents with a supervisor's name on it (agents name their team)."""

    __tablename__ = "acd_teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    description: str = Field(default="", max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CallRecording(SQLModel, table=True):
    """A queue's recording of one bridged conversation; ``recorded`` until it is attached
    to the call's ticket entry (``filed``), so a crash in between is filed later."""

    __tablename__ = "acd_recordings"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=128, index=True)  # the caller's channel
    asterisk_node: str = Field(max_length=64)
    queue: str = Field(max_length=64)
    agent: str = Field(max_length=16)
    recording: str = Field(max_length=300, description="file on this host")
    status: str = Field(default="recorded", max_length=16, index=True)
    ticket_entry_id: int | None = Field(default=None, foreign_key="ticket_entries.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class QueuedCallback(SQLModel, table=True):
    """A waiting caller's place turned into a callback. Written before the caller hears
    the confirmation, so a controller that restarts puts it back in line (``pending``);
    ``connected`` once the caller was reached, ``done`` with its outcome at the end."""

    __tablename__ = "acd_queued_callbacks"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: str = Field(max_length=160, unique=True, index=True)
    asterisk_node: str = Field(max_length=64, index=True)  # the controller that serves it
    queue: str = Field(max_length=64)
    number: str = Field(max_length=64)
    call_id: str = Field(max_length=128)  # the call that asked for it
    priority: int = 0
    skills: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    entered_at: datetime = Field(sa_type=UtcDateTime)  # the caller's entry: their place
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status: str = Field(default="pending", max_length=16, index=True)
    outcome: str | None = Field(default=None, max_length=32)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
