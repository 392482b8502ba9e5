"""What the web layer needs from the composition root, handed over explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from channels.service import Channels
from pbx.acd.runtime import Acd
from pbx.call_log import CallLog
from pbx.controller import CallController
from pbx.ivr.registry import FlowRegistry
from switchboard.bus import EventBus
from switchboard.db import Database
from ticketing.queries import TicketQueries
from ticketing.services import Ticketing


@dataclass(frozen=True)
class WebContext:
    db: Database
    api_token: str
    calls: CallLog
    tickets: TicketQueries
    ticketing: Ticketing
    controller: CallController | None = None  # present when the controller runs in-process
    flows: FlowRegistry | None = None  # likewise: the IVR flows it serves
    channels: Channels | None = None  # customer channels (provider webhooks)
    acd: Acd | None = None  # the ACD, when the controller runs in-process (agent API)
    bus: EventBus | None = None  # live events for desktops and wallboards
