from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from switchboard.db import DatabaseError
from web.deps import Context

router = APIRouter()


@router.get("/healthz")
async def healthz(context: Context) -> JSONResponse:
    """Liveness and readiness: the database, and the ARI link when the controller is here."""
    body: dict[str, str] = {"status": "ok"}
    code = 200
    try:
        await context.db.check()
        body["database"] = "ok"
    except DatabaseError as exc:
        body["database"] = str(exc)
        body["status"] = "degraded"
        code = 503
    if context.controller is not None:
        connected = context.controller.stream.connected.is_set()
        body["asterisk"] = "connected" if connected else "disconnected"
        if not connected:
            body["status"] = "degraded"
            code = 503
    return JSONResponse(body, status_code=code)
