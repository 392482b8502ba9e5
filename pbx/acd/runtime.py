"""The ACD's parts, built once by the composition root and bound to the call controller."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pbx.acd.agent_first import AgentFirstDialer
from pbx.acd.bridged import BridgedCalls
from pbx.acd.callback_store import CallbackStore
from pbx.acd.callbacks import CallbackDesk
from pbx.acd.click_to_call import ClickToCall
from pbx.acd.directory import AcdDirectory, contact_skills
from pbx.acd.queue_log import QueueLog
from pbx.acd.recording import QueueRecorder
from pbx.acd.service import AcdService
from pbx.acd.voice import VoiceQueue
from pbx.ami import AmiClient
from pbx.call import Call
from pbx.controller import CallController
from pbx.ivr.port import QueueResult
from pbx.prompt_media import PromptMedia
from switchboard.bus import EventBus
from switchboard.db import Database

log = logging.getLogger(__name__)


class Acd:
    def __init__(self, db: Database, bus: EventBus | None, node: str) -> None:
        self.directory = AcdDirectory(db)
        self.queue_log = QueueLog(db, bus, node)
        self.service = AcdService(self.directory, self.queue_log)
        self.bridged = BridgedCalls()  # agents' current calls, for the agent API
        self.voice: VoiceQueue | None = None
        self.click_to_call: ClickToCall | None = None  # None: no trunk to call out on

    def bind(self, controller: CallController) -> None:
        """Agents' legs are routed to the caller's call by the controller."""
        self.voice = VoiceQueue(
            self.service, controller.attach_leg, controller.detach_leg, self.bridged
        )

    def enable_dial_out(self, controller: CallController, dial: str) -> None:
        """Calls the ACD places through ``dial`` (with ``{number}``): callers may press
        their queue's callback key, and agents may call customers from the desktop."""
        if self.voice is None or not dial:
            return
        dialer = AgentFirstDialer(
            self.service,
            controller.ari,
            controller.attach_leg,
            controller.detach_leg,
            dial,
            controller.call_log,
        )
        store = CallbackStore(self.queue_log.db, self.queue_log.node)
        self.voice.callbacks = CallbackDesk(self.service, store, dialer)
        self.click_to_call = ClickToCall(self.service, dialer)

    def enable_transfers(self, dial: str) -> None:
        """Agents may transfer callers to numbers reached through ``dial`` ({number})."""
        if self.voice is not None:
            self.voice.dial = dial

    def record_into(self, recordings: Path) -> None:
        """Queues set to ``record`` record their conversations into Asterisk's recording
        folder (``recordings``, as seen from this host)."""
        if self.voice is not None:
            recorder = QueueRecorder(self.queue_log.db, self.queue_log.node)
            recorder.recordings = recordings
            self.voice.recorder = recorder

    def use_media(self, media: PromptMedia) -> None:
        """Text-to-speech for the waiting callers' announcements."""
        if self.voice is not None:
            self.voice.media = media

    async def take(
        self, call: Call, queue: str, skills: Sequence[str], priority: int
    ) -> QueueResult | None:
        """Serve the caller in ``queue``, needing ``skills`` (``name`` or ``name=level``,
        level 1 by default) besides the queue's own: CONNECTED once answered, OVERFLOW when
        the caller left the queue unanswered, None when no such queue is configured."""
        if self.voice is None:
            return None
        if not self.service.knows_queue(queue):
            await self.service.load()
            if not self.service.knows_queue(queue):
                log.warning("call %s: no ACD queue '%s' is configured", call.id, queue)
                return None
        wanted = contact_skills(skills)
        served = await self.voice.serve(call, queue, priority, wanted)
        return QueueResult.CONNECTED if served else QueueResult.OVERFLOW

    async def run(self, ami: AmiClient) -> None:
        """Load queues and agents, follow agents' phones over AMI, and route."""
        await self.service.load()
        if self.voice is not None and self.voice.callbacks is not None:
            restored = await self.voice.callbacks.restore()
            if restored:
                log.info("%d callback request(s) back in line after a restart", restored)
        ami.on_contact_status(self.service.on_contact_status)
        await self.service.sync_contacts(await ami.pjsip_contacts())
        await self.service.run()
