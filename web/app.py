"""The FastAPI application factory; the composition root hands it a WebContext."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard import __version__
from web.context import WebContext
from web.routes import calls, health, tickets


def create_app(context: WebContext) -> FastAPI:
    app = FastAPI(
        title="Switchboard",
        version=__version__,
        description="Contact center API: calls, tickets and contacts.",
    )
    app.state.context = context
    app.include_router(health.router)
    app.include_router(calls.router)
    app.include_router(tickets.router)
    return app
