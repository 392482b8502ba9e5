from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pbx.models import CallbackStatus
from web.deps import CallReader, Context
from web.schemas import CallbackOut

router = APIRouter(prefix="/api/callbacks", tags=["calls"])


@router.get("")
async def list_callbacks(
    context: Context,
    _actor: CallReader,
    status: CallbackStatus | None = CallbackStatus.PENDING,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallbackOut]:
    """Callers waiting to be called back, oldest request first."""
    requests = await context.calls.callbacks(status, limit)
    return [CallbackOut.model_validate(r, from_attributes=True) for r in requests]
