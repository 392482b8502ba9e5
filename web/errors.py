"""Service errors and validation errors as JSON: always ``{"detail": "<message>"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ticketing.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TicketingError,
    TooLarge,
    Unauthenticated,
)

STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    TooLarge: 413,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TicketingError)
    async def ticketing_error(_request: Request, exc: TicketingError) -> JSONResponse:
        code = next((c for kind, c in STATUS.items() if isinstance(exc, kind)), 400)
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(
            {"detail": f"invalid request: {summary}", "errors": problems}, status_code=422
        )
