"""The ARI event websocket: connect, register the app, reconnect with backoff.

Each (re)connection calls ``on_connected`` before any event of that connection is
delivered, which is where the controller reconciles its calls with Asterisk's channels.
Rejected credentials are fatal and raised at once instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pbx.ari.client import AriClient
from pbx.ari.errors import AriAuthError
from pbx.ari.models import AriEvent, parse_event

log = logging.getLogger(__name__)


class EventStream:
    def __init__(
        self,
        client: AriClient,
        on_event: Callable[[AriEvent], None],
        on_connected: Callable[[], Awaitable[None]],
        *,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
    ) -> None:
        self._client = client
        self._on_event = on_event
        self._on_connected = on_connected
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self.connected = asyncio.Event()

    def _headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self._client.username}:{self._client.password}".encode())
        return {"Authorization": f"Basic {token.decode()}"}

    async def run(self) -> None:
        backoff = self._initial_backoff
        while True:
            try:
                async with connect(
                    self._client.events_url,
                    additional_headers=self._headers(),
                    open_timeout=5,
                    ping_interval=10,
                    ping_timeout=10,
                    max_size=2**22,
                ) as ws:
                    log.info("ARI event stream connected (app %s)", self._client.app)
                    await self._on_connected()
                    self.connected.set()
                    backoff = self._initial_backoff
                    async for message in ws:
                        self._on_event(parse_event(json.loads(message)))
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status == 401:
                    raise AriAuthError(
                        401,
                        f"Asterisk rejected ARI user '{self._client.username}' "
                        f"at {self._client.base_url}: check the ARI password",
                        "/events",
                    ) from exc
                log.warning("ARI event stream refused with HTTP %s", status)
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                log.warning("ARI event stream lost (%s); reconnecting", exc)
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)
