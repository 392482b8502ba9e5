"""Typed FastAPI dependencies: the context, and the API token check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from web.context import WebContext

_bearer = HTTPBearer(auto_error=False)


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


Context = Annotated[WebContext, Depends(get_context)]


def require_token(
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), context.api_token.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
