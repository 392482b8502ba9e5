"""Unsubscribe links of broadcast mail: ``GET`` shows a confirmation page (link scanners
fetch links; fetching must not unsubscribe), ``POST`` unsubscribes: the page's button, or
the mail client's RFC 8058 one-click request. A forged token is a 400 and changes nothing."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from channels.email.adapter import EmailAdapter
from channels.email.unsubscribe import UnsubscribeLinks, page
from ticketing.errors import InvalidInput, NotFound
from web.deps import Context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/channels/unsubscribe", tags=["channels"])


def _links(context: Context) -> UnsubscribeLinks:
    channels = context.channels
    adapter = channels.adapters.get("email") if channels is not None else None
    if not isinstance(adapter, EmailAdapter) or adapter.links is None:
        raise NotFound("email broadcasts are not configured")
    return adapter.links


def _language(request: Request) -> str:
    return request.query_params.get("lang", "en")


def _refused(request: Request, problem: InvalidInput) -> HTMLResponse:
    client = request.client.host if request.client else "?"
    log.warning("refused an unsubscribe link from %s: %s", client, problem.message)
    return HTMLResponse(problem.message, status_code=400)


@router.get("/{token}", response_class=HTMLResponse)
async def confirm_unsubscribe(token: str, request: Request, context: Context) -> HTMLResponse:
    """The page asking to confirm; it changes nothing."""
    links = _links(context)
    try:
        address = links.address(token)
    except InvalidInput as problem:
        return _refused(request, problem)
    return HTMLResponse(page(_language(request), address, token, done=False))


@router.post("/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, request: Request, context: Context) -> HTMLResponse:
    """Unsubscribe the token's address from every broadcast and further mail."""
    links = _links(context)
    assert context.channels is not None
    try:
        async with context.channels.inbox.db.transaction() as session:
            address = await links.apply(session, token)
    except InvalidInput as problem:
        return _refused(request, problem)
    log.info("%s unsubscribed from broadcast mail", address)
    return HTMLResponse(page(_language(request), address, token, done=True))
