from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from web.deps import CallReader, Context, Cursor, PathId
from web.schemas import CallOut, Page, SurveyOut

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("")
async def list_calls(
    context: Context,
    _actor: CallReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> Page[CallOut]:
    """Call records, newest first; pass ``next_cursor`` back as ``cursor`` for older ones."""
    records = await context.calls.recent(limit, cursor)
    items = [CallOut.model_validate(r, from_attributes=True) for r in records]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/active")
async def active_calls(context: Context, _actor: CallReader) -> list[dict[str, Any]]:
    """Calls in progress, with their live state."""
    if context.controller is None:
        raise HTTPException(503, "live call state is served by the process running the controller")
    return context.controller.snapshot()


@router.get("/{call_id}")
async def get_call(call_id: PathId, context: Context, _actor: CallReader) -> CallOut:
    record = await context.calls.get(call_id)
    if record is None:
        raise HTTPException(404, f"call {call_id} not found")
    return CallOut.model_validate(record, from_attributes=True)


@router.get("/{call_id}/survey")
async def call_survey(call_id: PathId, context: Context, _actor: CallReader) -> list[SurveyOut]:
    """The caller's answers to the post-call survey (1-5; null when skipped)."""
    if await context.calls.get(call_id) is None:
        raise HTTPException(404, f"call {call_id} not found")
    answers = await context.calls.survey_answers(call_id)
    return [SurveyOut.model_validate(a, from_attributes=True) for a in answers]
