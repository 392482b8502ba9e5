"""Request and response shapes for automation rules and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ticketing.automation.models import DeliveryStatus
from web.schemas import Input


class RuleIn(Input):
    name: str = Field(min_length=1, max_length=100)
    event: str = Field(
        max_length=64,
        description="ticket.created, ticket.updated, entry.created, ticket.sla_warning, "
        "ticket.sla_breach",
    )
    conditions: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=50,
        description="All must hold: {field, op (equals/in/contains), value}",
    )
    actions: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=50,
        description="{action: set_priority/assign_team/add_assignees/add_tag/reply/note/webhook, "
        "value}",
    )
    position: int = Field(0, ge=-1_000_000, le=1_000_000)
    active: bool = True


class RuleOut(BaseModel):
    id: int
    name: str
    event: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    position: int
    active: bool
    updated_at: datetime


class WebhookIn(Input):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, max_length=20, examples=[["ticket.*"]])


class WebhookPatch(Input):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, min_length=1, max_length=20)
    active: bool | None = None


class WebhookOut(BaseModel):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="HMAC-SHA256 signing key, shown only now")


class DeliveryOut(BaseModel):
    id: int
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
