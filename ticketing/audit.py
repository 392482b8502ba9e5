"""The audit log: every change, who made it, the state before and after, and when.

Services write entries in the same transaction as the change they describe, so the log
and the data never disagree. Refused access to another organisation's ticket is logged
here too (action ``access.denied``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db_types import UtcDateTime, utcnow
from ticketing.access.roles import Principal

log = logging.getLogger(__name__)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    actor: str = Field(max_length=200)  # the name at the time, or "system"
    action: str = Field(max_length=64, index=True)  # e.g. ticket.update, contact.merge
    entity: str = Field(max_length=32)  # ticket, contact, user, ...
    entity_id: str = Field(max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


def audit(
    session: AsyncSession,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction."""
    entry = AuditEntry(
        actor_user_id=actor.user_id,
        actor=actor.name,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(entry)
    return entry


async def audit_trail(
    session: AsyncSession,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)  # type: ignore[union-attr]
    if entity is not None:
        statement = statement.where(AuditEntry.entity == entity)
    if entity_id is not None:
        statement = statement.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if before_id is not None:
        statement = statement.where(AuditEntry.id < before_id)  # type: ignore[operator]
    return list((await session.exec(statement)).all())


NEVER_LOGGED = frozenset({"password_hash", "token_hash"})


def snapshot(model: SQLModel, **extra: Any) -> dict[str, Any]:
    """A model's columns (never hashes of secrets) as JSON values, plus ``extra`` fields."""
    data = {k: v for k, v in model.model_dump().items() if k not in NEVER_LOGGED}
    return _jsonable({**data, **extra}) or {}


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {key: _value(value) for key, value in data.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    return value
