"""The audit log, for review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.convert import audit_out
from web.deps import AuditReader, Cursor, Services
from web.schemas import Page
from web.schemas_people import AuditOut

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
async def audit_log(
    services: Services,
    _actor: AuditReader,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> Page[AuditOut]:
    """Newest first: who changed what, the state before and after, and when."""
    entries = await services.audit.entries(
        entity=entity, entity_id=entity_id, action=action, limit=limit, before_id=cursor
    )
    items = [audit_out(e) for e in entries]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)
