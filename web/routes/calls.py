from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from web.deps import Context, require_token
from web.schemas import CallOut, Page

router = APIRouter(prefix="/api/calls", tags=["calls"], dependencies=[Depends(require_token)])


@router.get("")
async def list_calls(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> Page[CallOut]:
    """Call records, newest first; pass ``next_cursor`` back as ``cursor`` for older ones."""
    records = await context.calls.recent(limit, cursor)
    items = [CallOut.model_validate(r, from_attributes=True) for r in records]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/active")
async def active_calls(context: Context) -> list[dict[str, Any]]:
    """Calls in progress, with their live state."""
    if context.controller is None:
        raise HTTPException(503, "live call state is served by the process running the controller")
    return context.controller.snapshot()


@router.get("/{call_id}")
async def get_call(call_id: int, context: Context) -> CallOut:
    record = await context.calls.get(call_id)
    if record is None:
        raise HTTPException(404, f"call {call_id} not found")
    return CallOut.model_validate(record, from_attributes=True)
