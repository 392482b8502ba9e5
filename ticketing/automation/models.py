"""Rules, webhooks and the log of webhook deliveries (also the outbox they leave from)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow


class Rule(SQLModel, table=True):
    """When ``event`` happens to a ticket and every condition holds, run the actions."""

    __tablename__ = "automation_rules"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    event: str = Field(max_length=64, index=True)  # see ticketing.automation.rules.EVENTS
    conditions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    actions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    position: int = 0  # rules run in this order
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=100)  # HMAC-SHA256 key; the receiver holds it too
    events: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # patterns such as "ticket.*"
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry


class WebhookDelivery(SQLModel, table=True):
    """One event for one webhook: written with the change, sent after, retried."""

    __tablename__ = "webhook_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhooks.id", index=True)
    event: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus), index=True
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
