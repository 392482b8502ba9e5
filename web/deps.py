"""Typed FastAPI dependencies: the context, who is asking, and what their role allows.

Credentials: ``Authorization: Bearer`` with the built-in API token (an admin principal)
or a user's API token, or the session cookie set by ``POST /api/auth/login``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketing.access.roles import Permission, Principal
from ticketing.access.sessions import COOKIE_NAME
from ticketing.errors import Forbidden, Unauthenticated
from ticketing.services import Ticketing
from web.context import WebContext
from web.schemas import MAX_ID

_bearer = HTTPBearer(auto_error=False)
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the last page")]


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


Context = Annotated[WebContext, Depends(get_context)]


def get_ticketing(context: Context) -> Ticketing:
    return context.ticketing


Services = Annotated[Ticketing, Depends(get_ticketing)]


async def current_principal(
    request: Request,
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials is not None else None
    return await principal_of(services, token, request.cookies.get(COOKIE_NAME))


async def principal_of(services: Ticketing, token: str | None, cookie: str | None) -> Principal:
    """Who presents this bearer token or session cookie (HTTP requests and websockets)."""
    if token is not None:
        return await services.auth.bearer(token)
    if cookie:
        principal = await services.auth.session(cookie)
        if principal is None:
            raise Unauthenticated("your session has ended: log in again")
        return principal
    raise Unauthenticated("missing API token: send 'Authorization: Bearer <token>' or log in")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"the {principal.role.value} role does not allow {permission.value}")
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return check


def _as(permission: Permission) -> object:
    return Depends(require(permission))


P = Permission
CallReader = Annotated[Principal, _as(P.CALLS_READ)]
TicketReader = Annotated[Principal, _as(P.TICKETS_READ)]
TicketCreator = Annotated[Principal, _as(P.TICKETS_CREATE)]
TicketEditor = Annotated[Principal, _as(P.TICKETS_UPDATE)]
TicketReopener = Annotated[Principal, _as(P.TICKETS_REOPEN)]
TicketMerger = Annotated[Principal, _as(P.TICKETS_MERGE)]
TicketExporter = Annotated[Principal, _as(P.TICKETS_EXPORT)]
EntryWriter = Annotated[Principal, _as(P.ENTRIES_WRITE)]
ContactReader = Annotated[Principal, _as(P.CONTACTS_READ)]
ContactWriter = Annotated[Principal, _as(P.CONTACTS_WRITE)]
ContactMerger = Annotated[Principal, _as(P.CONTACTS_MERGE)]
CatalogReader = Annotated[Principal, _as(P.CATALOG_READ)]
CatalogManager = Annotated[Principal, _as(P.CATALOG_MANAGE)]
UserReader = Annotated[Principal, _as(P.USERS_READ)]
UserManager = Annotated[Principal, _as(P.USERS_MANAGE)]
TokenManager = Annotated[Principal, _as(P.TOKENS_MANAGE)]
AuditReader = Annotated[Principal, _as(P.AUDIT_READ)]
SlaReader = Annotated[Principal, _as(P.SLA_READ)]
SlaManager = Annotated[Principal, _as(P.SLA_MANAGE)]
SlaApprover = Annotated[Principal, _as(P.SLA_APPROVE)]
AutomationManager = Annotated[Principal, _as(P.AUTOMATION_MANAGE)]
