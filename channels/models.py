"""What the channels keep: every inbound message (unique per provider message id), the
outbox of messages to send, and the message ids that thread replies into tickets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow


class InboundStatus(StrEnum):
    RECEIVED = "received"  # stored and acknowledged; not yet in a ticket
    THREADED = "threaded"  # an entry on a ticket
    IGNORED = "ignored"  # kept for the record only (auto-replies, opt-outs, rate limit)


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # gave up; an event entry on the ticket says why


class ChannelInbound(SQLModel, table=True):
    __tablename__ = "channel_inbound"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    provider_id: str = Field(max_length=255)
    sender: str = Field(max_length=320)
    sender_name: str = Field(default="", max_length=200)
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_type=Text)
    html: str = Field(default="", sa_type=Text)  # sanitised for display
    refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: InboundStatus = Field(
        default=InboundStatus.RECEIVED, sa_type=enum_type(InboundStatus), index=True
    )
    reason: str = Field(default="", max_length=200)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="ticket_entries.id")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    threaded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ChannelOutbox(SQLModel, table=True):
    __tablename__ = "channel_outbox"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32, index=True)
    entry_id: int | None = Field(default=None, foreign_key="ticket_entries.id", unique=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    # broadcasts: "notice:<id>:<subscription id>", one message per notice and subscriber
    dedupe_key: str | None = Field(default=None, max_length=100, unique=True)
    recipient: str = Field(max_length=320)
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_type=Text)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = Field(
        default=OutboxStatus.QUEUED, sa_type=enum_type(OutboxStatus), index=True
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    last_error: str = Field(default="", max_length=500)
    provider_id: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class MessageRef(SQLModel, table=True):
    """A message id (email Message-ID) known to belong to a ticket, in or out."""

    __tablename__ = "channel_message_refs"

    ref: str = Field(primary_key=True, max_length=255)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class OptOut(SQLModel, table=True):
    """Someone who answered STOP (or LOPETA, STOPP, СТОП) on a channel: sent nothing more
    there, replies or broadcasts, until they send START."""

    __tablename__ = "channel_opt_outs"

    channel: str = Field(primary_key=True, max_length=32)
    address: str = Field(primary_key=True, max_length=320)
    keyword: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Subscription(SQLModel, table=True):
    """Someone who wants works notices for an area (a postcode, or "*": the whole
    service area) on a channel, in a language."""

    __tablename__ = "broadcast_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "address", "area"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    address: str = Field(max_length=320)
    area: str = Field(max_length=16, index=True)
    language: str = Field(default="fi", max_length=8)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ChatConversation(SQLModel, table=True):
    """Where the chatbot is with one web-chat conversation (mode, the request being
    registered, language, transcript, answers by client id), so any web process, and one
    started after a restart, carries the dialogue on."""

    __tablename__ = "chat_conversations"

    conversation: str = Field(primary_key=True, max_length=64)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


class ChatPresenceLease(SQLModel, table=True):
    """An agent who said at the desk that they take chats, until the lease runs out
    (renewed by the desk while it is open). Kept in the database, so every web process
    gives visitors the same answer."""

    __tablename__ = "chat_presence"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    until: datetime = Field(sa_type=UtcDateTime, index=True)
