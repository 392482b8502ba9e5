"""Response shapes of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel


class CallOut(BaseModel):
    id: int
    channel_id: str
    asterisk_node: str
    direction: str
    caller_number: str
    caller_name: str
    dialled_number: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: str
    hangup_cause: str
    duration_seconds: float | None
    talk_seconds: float | None
    path: list[dict[str, Any]]
    ticket_id: int | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: int | None


class TicketOut(BaseModel):
    id: int
    number: str
    subject: str
    status: str
    channel: str
    contact_id: int | None
    created_at: datetime
    updated_at: datetime


class IdentityOut(BaseModel):
    kind: str
    value: str


class ContactOut(BaseModel):
    id: int
    display_name: str
    identities: list[IdentityOut]


class EntryOut(BaseModel):
    id: int
    kind: str
    channel: str
    direction: str
    body: str
    call_id: int | None
    created_at: datetime


class TicketDetailOut(TicketOut):
    contact: ContactOut | None
    entries: list[EntryOut]
