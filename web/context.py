"""What the web layer needs from the composition root, handed over explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from pbx.call_log import CallLog
from pbx.controller import CallController
from switchboard.db import Database
from ticketing.queries import TicketQueries


@dataclass(frozen=True)
class WebContext:
    db: Database
    api_token: str
    calls: CallLog
    tickets: TicketQueries
    controller: CallController | None = None  # present when the controller runs in-process
