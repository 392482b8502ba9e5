"""AMI, through panoramisk, for what ARI lacks: PJSIP contact status and config reloads.

This is the only module that imports panoramisk, so the library can be replaced here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk import Manager

log = logging.getLogger(__name__)

ContactStatusHandler = Callable[[dict[str, str]], Awaitable[None] | None]


class AmiError(RuntimeError):
    pass


class AmiAuthError(AmiError):
    pass


class AmiClient:
    def __init__(self, host: str, port: int, username: str, secret: str) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._manager = Manager(
            host=host,
            port=port,
            username=username,
            secret=secret,
            ping_delay=10,
            ping_interval=10,
            reconnect_timeout=2,
            log=log,
        )

    async def connect(self, timeout: float = 10) -> None:
        """Connect and log in; a clear error on an unreachable AMI or a wrong secret."""
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise AmiError(f"cannot reach AMI at {self.host}:{self.port}: {exc}") from exc
        writer.close()
        self._manager.loop = asyncio.get_running_loop()
        connected = self._manager.connect()
        await asyncio.wait_for(connected, timeout)
        login = self._manager.authenticated_future
        if login is None:
            raise AmiError(f"AMI at {self.host}:{self.port} did not start a login")
        response = await asyncio.wait_for(login, timeout)
        if not response.success:
            self.close()
            raise AmiAuthError(
                f"AMI at {self.host}:{self.port} rejected user '{self.username}': "
                f"{response.get('Message', 'authentication failed')}"
            )

    def close(self) -> None:
        self._manager.close()

    async def action(self, name: str, **fields: Any) -> list[dict[str, str]]:
        """Send an action and collect its response and any list events it produces."""
        result = self._manager.send_action({"Action": name, **fields})
        messages = await asyncio.wait_for(result, 15)
        if not isinstance(messages, list):
            messages = [messages]
        replies = [dict(m) for m in messages]
        if replies and replies[0].get("Response") == "Error":
            raise AmiError(f"AMI {name} failed: {replies[0].get('Message', 'error')}")
        return replies

    async def reload(self, module: str | None = None) -> None:
        """Reload configuration (one module, e.g. ``res_pjsip.so``, or all)."""
        fields = {"Module": module} if module else {}
        await self.action("Reload", **fields)

    async def pjsip_contacts(self) -> list[dict[str, str]]:
        try:
            replies = await self.action("PJSIPShowContacts")
        except AmiError as exc:
            if "No Contacts found" in str(exc):
                return []
            raise
        return [r for r in replies if r.get("Event") == "ContactList"]

    async def pjsip_endpoints(self) -> list[dict[str, str]]:
        replies = await self.action("PJSIPShowEndpoints")
        return [r for r in replies if r.get("Event") == "EndpointList"]

    def on_contact_status(self, handler: ContactStatusHandler) -> None:
        """Call ``handler`` with each ContactStatus event (registrations, reachability)."""

        def relay(_manager: Manager, event: Any) -> Awaitable[None] | None:
            return handler(dict(event))

        self._manager.register_event("ContactStatus", relay)
