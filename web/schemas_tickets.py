"""Request and response shapes for tickets, their thread and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr

from ticketing.models import EntryKind, Priority, TicketStatus
from web.schemas import AddressIn, AddressOut, DbId, Input, Version
from web.schemas_people import ContactOut

FieldValueIn = Annotated[StrictStr | StrictInt | StrictFloat | None, Field(union_mode="smart")]
QueueName = Annotated[
    str, Field(min_length=1, max_length=64, description="The name of an ACD queue")
]
FIELDS_DESCRIPTION = (
    "Custom fields of the ticket's category by name: text, number, date (YYYY-MM-DD) or "
    "one of a choice field's choices; null or '' removes a value"
)


class TicketOut(BaseModel):
    id: int
    number: str
    subject: str
    status: TicketStatus
    priority: Priority
    channel: str
    contact_id: int | None
    organisation_id: int | None
    category_id: int | None
    team_id: int | None
    queue: str | None = Field(description="The ACD queue it waits in")
    merged_into_id: int | None
    version: Version = Field(description="Send it back with every change (optimistic locking)")
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla_policy_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_paused_at: datetime | None = Field(description="Set while pending: the clock stops")
    overdue: bool = Field(description="Past a deadline and not resolved")


class EntryOut(BaseModel):
    id: int
    kind: EntryKind
    channel: str
    direction: str
    internal: bool
    author_user_id: int | None
    author_name: str
    body: str
    call_id: int | None
    created_at: datetime


class AttachmentOut(BaseModel):
    id: int
    entry_id: int | None = Field(description="The thread entry it came with, if any")
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class CategoryRef(BaseModel):
    id: int
    path: str = Field(description="Codes from the type down, e.g. WATER/LEAK/PIPE")
    names: list[str]


class TeamRef(BaseModel):
    id: int
    name: str


class TicketDetailOut(TicketOut):
    description: str
    contact: ContactOut | None
    entries: list[EntryOut]
    assignee_ids: list[DbId]
    tags: list[str]
    addresses: list[AddressOut]
    attachments: list[AttachmentOut]
    category: CategoryRef | None
    team: TeamRef | None
    merged_into: str | None = Field(description="Number of the ticket this one went into")
    fields: dict[str, str | int | float] = Field(description="Custom fields of its category")


class TicketIn(Input):
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=100_000)
    channel: str = Field("web", min_length=1, max_length=32)
    contact_id: DbId | None = None
    organisation_id: DbId | None = None
    priority: Priority = Priority.NORMAL
    category_id: DbId | None = None
    team_id: DbId | None = None
    queue: QueueName | None = None
    assignee_ids: list[DbId] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=50)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    fields: dict[str, FieldValueIn] = Field(
        default_factory=dict, max_length=30, description=FIELDS_DESCRIPTION
    )
    status: TicketStatus = Field(
        TicketStatus.NEW, description="new, open, or closed for a case answered on the spot"
    )


class TicketPatch(Input):
    version: Version = Field(description="The version you loaded; a stale one is a 409")
    subject: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=100_000)
    priority: Priority | None = None
    category_id: DbId | None = None
    team_id: DbId | None = None
    queue: QueueName | None = None
    contact_id: DbId | None = None
    organisation_id: DbId | None = None
    assignee_ids: list[DbId] | None = Field(None, max_length=50)
    tags: list[str] | None = Field(None, max_length=50)
    fields: dict[str, FieldValueIn] | None = Field(
        None, max_length=30, description=FIELDS_DESCRIPTION + "; others stay as they are"
    )
    clear: list[str] = Field(
        default_factory=list,
        description="Fields to empty: category_id, team_id, queue, contact_id, organisation_id",
    )


class StatusIn(Input):
    status: TicketStatus
    version: Version


class ReopenIn(Input):
    comment: str = Field(min_length=1, max_length=10_000)
    version: Version


class MergeTicketIn(Input):
    source: str = Field(description="Number of the duplicate ticket merged into this one")
    version: Version = Field(description="This ticket's version")


class VersionedAddressIn(AddressIn):
    version: Version


class EntryIn(Input):
    kind: EntryKind = Field(
        description="reply (public answer), note (internal), message, email, sms, chat, form"
    )
    body: str = Field(min_length=1, max_length=100_000)
    channel: str | None = Field(None, max_length=32)
    direction: str | None = Field(None, description="inbound or outbound")
