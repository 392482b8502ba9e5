from __future__ import annotations

from fastapi import APIRouter, HTTPException

from web.deps import CallReader, Context
from web.schemas import FlowErrorOut, FlowsOut

router = APIRouter(prefix="/api/flows", tags=["flows"])


@router.get("")
async def flows_status(context: Context, _actor: CallReader) -> FlowsOut:
    """The IVR flows callers get now, and why edited files are not live when they are not."""
    if context.flows is None:
        raise HTTPException(503, "IVR flows are served by the process running the controller")
    current = context.flows.current
    return FlowsOut(
        version=current.version,
        flows=sorted(current.flows),
        loaded_at=current.loaded_at,
        pending_errors=[
            FlowErrorOut(file=e.file, line=e.line, column=e.column, message=e.message)
            for e in context.flows.last_errors
        ],
    )
