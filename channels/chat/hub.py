"""Who is connected to which conversation, in this process: agent replies are pushed to
every open websocket of the conversation (a visitor may have several tabs)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Socket(Protocol):
    async def send_json(self, data: Any, mode: str = "text") -> None: ...


class ChatHub:
    def __init__(self) -> None:
        self._sockets: dict[str, set[Socket]] = defaultdict(set)

    def join(self, conversation: str, socket: Socket) -> None:
        self._sockets[conversation].add(socket)

    def leave(self, conversation: str, socket: Socket) -> None:
        sockets = self._sockets.get(conversation)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[conversation]

    def connected(self, conversation: str) -> bool:
        return bool(self._sockets.get(conversation))

    async def push(self, conversation: str, data: dict[str, Any]) -> int:
        """Send to every socket of the conversation; how many took it."""
        delivered = 0
        for socket in list(self._sockets.get(conversation, ())):
            try:
                await socket.send_json(data)
                delivered += 1
            except Exception:  # a socket closing under us: the others still get it
                log.info("chat socket of %s went away", conversation)
                self.leave(conversation, socket)
        return delivered

    async def broadcast(self, data: dict[str, Any]) -> int:
        """Send to every open socket of every conversation; how many took it."""
        delivered = 0
        for conversation in list(self._sockets):
            delivered += await self.push(conversation, data)
        return delivered
