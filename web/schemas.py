"""Shapes shared by the REST API: pages, and calls. Each area has its own module next
to this one (``schemas_tickets``, ``schemas_people``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_ID = 2_147_483_647  # ids and versions are 32-bit integers in the database
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The version you loaded")]


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
    flow: str
    outcome: str
    ticket_id: int | None
    agent: str = ""


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of an id-ordered list; pass ``next_cursor`` back as ``cursor``."""

    items: list[T]
    next_cursor: int | None


class CursorPage(BaseModel, Generic[T]):
    """A page of a sortable list; ``next_cursor`` is opaque: pass it back unchanged."""

    items: list[T]
    next_cursor: str | None


class Input(BaseModel):
    """Request bodies refuse unknown fields (a typo is a 422, not ignored) and NUL
    characters, which no database stores in text."""

    model_config = ConfigDict(extra="forbid", str_max_length=100_000)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class AddressIn(Input):
    street: str
    postal_code: str = ""
    city: str = ""
    country: str = ""
    label: str = ""


class AddressOut(BaseModel):
    id: int
    label: str
    street: str
    postal_code: str
    city: str
    country: str
    street_registered: bool | None = Field(
        None,
        description="Whether the street is in the street registry (false: accepted but "
        "flagged for checking); null while no registry has been imported",
    )


class StreetOut(BaseModel):
    name: str
    postal_code: str
    city: str


class SurveyOut(BaseModel):
    survey: str
    question: str
    answer: int | None
    agent: str
    created_at: datetime


class FlowErrorOut(BaseModel):
    file: str
    line: int
    column: int
    message: str


class FlowsOut(BaseModel):
    version: str
    flows: list[str]
    loaded_at: datetime | None
    pending_errors: list[FlowErrorOut]


class CallbackOut(BaseModel):
    id: int
    call_id: int
    number: str
    queue: str
    status: str
    requested_at: datetime
    completed_at: datetime | None
