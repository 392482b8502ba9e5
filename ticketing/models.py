"""Contacts with their identities, tickets and the thread of entries on each ticket."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow


class IdentityKind(StrEnum):
    PHONE = "phone"  # E.164
    EMAIL = "email"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class EntryKind(StrEnum):
    CALL = "call"
    NOTE = "note"


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ContactIdentity(SQLModel, table=True):
    """One way to reach a contact; each (kind, value) belongs to exactly one contact."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    kind: IdentityKind = Field(sa_type=enum_type(IdentityKind))
    value: str = Field(max_length=320)


class TicketCounter(SQLModel, table=True):
    """Per-year sequence behind readable ticket numbers such as 2026-000123."""

    __tablename__ = "ticket_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    subject: str = Field(max_length=300)
    status: TicketStatus = Field(
        default=TicketStatus.NEW, sa_type=enum_type(TicketStatus), index=True
    )
    channel: str = Field(max_length=32)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TicketEntry(SQLModel, table=True):
    """One item in a ticket's thread (a call, a message, a note), in order of creation."""

    __tablename__ = "ticket_entries"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: EntryKind = Field(sa_type=enum_type(EntryKind))
    channel: str = Field(max_length=32)
    direction: str = Field(default="inbound", max_length=16)
    body: str = ""
    call_id: int | None = Field(default=None, foreign_key="call_records.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
