"""Who is connected to which conversation, in this process: agent replies are pushed to
every open websocket of the conversation (a visitor may have several tabs).

With an event bus, a reply is published (``chat.push``) and every process's ``relay``
pushes it to the sockets it holds, so the outbox of any web process reaches a visitor
connected to another one (through Redis when Switchboard runs as several processes)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Protocol

from switchboard.bus import EventBus

log = logging.getLogger(__name__)

PUSH_TOPIC = "chat.push"


class Socket(Protocol):
    async def send_json(self, data: Any, mode: str = "text") -> None: ...


class ChatHub:
    def __init__(self, bus: EventBus | None = None) -> None:
        self.bus = bus
        self._sockets: dict[str, set[Socket]] = defaultdict(set)

    async def send(self, conversation: str, data: dict[str, Any]) -> bool:
        """Deliver to the conversation's sockets in whichever process holds them; whether
        it was pushed for sure (over the bus it is published, not counted)."""
        if self.bus is None:
            return await self.push(conversation, data) > 0
        await self.bus.publish(PUSH_TOPIC, {"conversation": conversation, "frame": data})
        return True

    async def relay(self) -> None:
        """Push what any process sent to the sockets of this one, until cancelled."""
        if self.bus is None:
            return
        async with self.bus.subscribe(PUSH_TOPIC) as events:
            async for event in events:
                await self.push(str(event.data["conversation"]), dict(event.data["frame"]))

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
