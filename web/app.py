"""The FastAPI application factory; the composition root hands it a WebContext."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from switchboard import __version__
from web.context import WebContext
from web.errors import install_error_handlers
from web.limits import RequestGuard
from web.routes import (
    agents,
    audit,
    auth,
    automation,
    callbacks,
    calls,
    catalog,
    channels_chat,
    channels_files,
    channels_forms,
    channels_messages,
    channels_messaging,
    channels_sms,
    channels_unsubscribe,
    contacts,
    events,
    flows,
    health,
    knowledge,
    sla,
    softphone,
    streets,
    thread,
    tickets,
    users,
)

ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        health,
        auth,
        calls,
        callbacks,
        flows,
        tickets,
        thread,
        contacts,
        users,
        catalog,
        streets,
        sla,
        automation,
        audit,
        channels_sms,
        channels_messages,
        channels_chat,
        channels_forms,
        channels_messaging,
        channels_files,
        channels_unsubscribe,
        agents,
        knowledge,
        softphone,
    )
)


def create_app(context: WebContext) -> FastAPI:
    app = FastAPI(
        title="Switchboard",
        version=__version__,
        description=(
            "Contact center API: calls, tickets and their threads, contacts, users, teams "
            "and categories. Authenticate with 'Authorization: Bearer <token>' or the session "
            "cookie from POST /api/auth/login."
        ),
    )
    app.state.context = context
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(channels_chat.sockets)  # the chat websocket (not an HTTP route)
    app.include_router(events.sockets)  # the desktops' live event feed
    # Room for the largest attachment plus its multipart envelope; bodies are read in
    # chunks, so this is the most any request can make the app receive.
    max_body = context.ticketing.attachments.store.max_bytes + MULTIPART_ALLOWANCE
    app.add_middleware(RequestGuard, max_bytes=max_body)
    return app


MULTIPART_ALLOWANCE = 64 * 1024
