"""Contacts with their identities and addresses, tickets and the thread of entries on each.

Users, teams and categories live in ``ticketing.access.models`` and ``ticketing.catalog``;
tables refer to them by name only, so importing this module pulls in nothing else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow


class IdentityKind(StrEnum):
    PHONE = "phone"  # E.164
    EMAIL = "email"  # lowercased
    WHATSAPP = "whatsapp"  # E.164 of the WhatsApp account
    TELEGRAM = "telegram"  # Telegram user id or @handle
    VIBER = "viber"
    MESSENGER = "messenger"  # page-scoped id


class ContactKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class EntryKind(StrEnum):
    CALL = "call"
    VOICEMAIL = "voicemail"
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    FORM = "form"
    MESSAGE = "message"  # a comment by the customer (reopening, web reply)
    REPLY = "reply"  # a public answer from staff
    NOTE = "note"  # an internal note, never shown to the customer
    EVENT = "event"  # something the system did (merge, escalation), for the record


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    kind: ContactKind = Field(default=ContactKind.PERSON, sa_type=enum_type(ContactKind))
    display_name: str = Field(default="", max_length=200)
    organisation_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="contacts.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ContactIdentity(SQLModel, table=True):
    """One way to reach a contact; each (kind, value) belongs to exactly one contact."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    kind: IdentityKind = Field(sa_type=enum_type(IdentityKind))
    value: str = Field(max_length=320)


class Address(SQLModel, table=True):
    """A postal address of a contact or of a ticket (where the problem is)."""

    __tablename__ = "addresses"
    __table_args__ = (
        CheckConstraint(
            "(contact_id IS NULL) <> (ticket_id IS NULL)", name="address_has_one_owner"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    label: str = Field(default="", max_length=64)
    street: str = Field(max_length=200)
    postal_code: str = Field(default="", max_length=16)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=2)
    # In the street registry (ticketing.streets)? None while no registry is imported.
    street_registered: bool | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


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
    description: str = Field(default="", sa_type=Text)
    status: TicketStatus = Field(
        default=TicketStatus.NEW, sa_type=enum_type(TicketStatus), index=True
    )
    priority: Priority = Field(default=Priority.NORMAL, sa_type=enum_type(Priority), index=True)
    channel: str = Field(max_length=32, index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    category_id: int | None = Field(default=None, foreign_key="categories.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    # The ACD queue it waits in, by name as the ACD refers to its queues (pbx.acd.models).
    queue: str | None = Field(default=None, max_length=64, index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="tickets.id")
    version: int = Field(default=1)  # optimistic concurrency: every change adds one
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Service level (see ticketing.sla): deadlines follow from the policy, the business
    # minutes spent pending and the approved extensions, so they can always be recomputed.
    sla_policy_id: int | None = Field(default=None, foreign_key="sla_policies.id")
    first_response_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolution_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    sla_paused_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sla_paused_minutes: float = 0.0
    sla_extension_minutes: int = 0
    sla_warned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sla_breached_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class TicketAssignee(SQLModel, table=True):
    """The people working a ticket; several in parallel."""

    __tablename__ = "ticket_assignees"

    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tags"

    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    tag: str = Field(max_length=64, primary_key=True, index=True)


class TicketEntry(SQLModel, table=True):
    """One item in a ticket's thread (a call, a message, a note), in order of creation."""

    __tablename__ = "ticket_entries"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: EntryKind = Field(sa_type=enum_type(EntryKind))
    channel: str = Field(max_length=32)
    direction: str = Field(default="inbound", max_length=16)
    internal: bool = Field(default=False)  # internal notes are never shown to customers
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    author_name: str = Field(default="", max_length=200)
    body: str = ""
    call_id: int | None = Field(default=None, foreign_key="call_records.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Attachment(SQLModel, table=True):
    """A file on a ticket; the bytes live on disk under their SHA-256 (content-addressed)."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="ticket_entries.id")
    sha256: str = Field(max_length=64, index=True)
    size: int
    content_type: str = Field(max_length=100)
    filename: str = Field(max_length=200)
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
