"""The ACD's parts, built once by the composition root and bound to the call controller."""

from __future__ import annotations

import logging

from pbx.acd.directory import AcdDirectory
from pbx.acd.queue_log import QueueLog
from pbx.acd.service import AcdService
from pbx.acd.voice import VoiceQueue
from pbx.ami import AmiClient
from pbx.call import Call
from pbx.controller import CallController
from switchboard.bus import EventBus
from switchboard.db import Database

log = logging.getLogger(__name__)


class Acd:
    def __init__(self, db: Database, bus: EventBus | None, node: str) -> None:
        self.directory = AcdDirectory(db)
        self.queue_log = QueueLog(db, bus, node)
        self.service = AcdService(self.directory, self.queue_log)
        self.voice: VoiceQueue | None = None

    def bind(self, controller: CallController) -> None:
        """Agents' legs are routed to the caller's call by the controller."""
        self.voice = VoiceQueue(self.service, controller.attach_leg, controller.detach_leg)

    async def take(self, call: Call, queue: str, priority: int) -> bool:
        """Queue the caller for an agent; False when no such queue is configured."""
        if self.voice is None:
            return False
        if not self.service.knows_queue(queue):
            await self.service.load()
            if not self.service.knows_queue(queue):
                log.warning("call %s: no ACD queue '%s' is configured", call.id, queue)
                return False
        await self.voice.serve(call, queue, priority)
        return True

    async def run(self, ami: AmiClient) -> None:
        """Load queues and agents, follow agents' phones over AMI, and route."""
        await self.service.load()
        ami.on_contact_status(self.service.on_contact_status)
        await self.service.sync_contacts(await ami.pjsip_contacts())
        await self.service.run()
