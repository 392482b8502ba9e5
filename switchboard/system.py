"""The composition root: builds every service with explicit dependencies, once.

Nothing in Switchboard connects or creates engines at import time; the CLI (and tests)
build a ``System`` and run the parts they want from it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from types import TracebackType

import uvicorn

from channels.chat.bot import enable_chatbot
from channels.service import build_channels
from knowledge.service import KnowledgeService
from pbx.acd.recording_filer import RecordingFiler
from pbx.acd.runtime import Acd
from pbx.ami import AmiClient
from pbx.ari.client import AriClient
from pbx.call_log import CallLog
from pbx.controller import CallController
from pbx.flow_handler import FlowCallHandler
from switchboard.asterisk_access import pbx_credentials
from switchboard.bus import make_bus
from switchboard.db import Database
from switchboard.ports import ensure_port_free
from switchboard.secrets import load_or_create_secrets
from switchboard.settings import Settings
from switchboard.telephony import Telephony
from ticketing.calls import CallFiler
from ticketing.services import configured_ticketing
from web.app import create_app
from web.context import WebContext

log = logging.getLogger(__name__)


class System:
    """Every long-lived service of one Switchboard process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secrets = load_or_create_secrets(settings.state_dir)
        credentials = pbx_credentials(settings, self.secrets)
        asterisk = settings.asterisk
        self.db = Database(settings.effective_database_url)
        self.bus = make_bus(settings.bus_url)
        self.call_log = CallLog(
            self.db,
            node=asterisk.instance,
            on_ended=CallFiler(settings.calls.default_region),
            bus=self.bus,
        )
        self.ticketing = configured_ticketing(settings, self.secrets, self.db, self.bus)
        self.ari = AriClient(
            f"http://{asterisk.host}:{asterisk.http_port}",
            asterisk.ari_user,
            credentials.ari_password,
            asterisk.app,
        )
        self.ami = AmiClient(
            asterisk.host, asterisk.ami_port, asterisk.ami_user, credentials.ami_secret
        )
        self.telephony = Telephony(
            settings,
            self.secrets,
            self.db,
            self.call_log,
            self.ticketing.attachments.store,
        )
        self.controller = CallController(
            self.ari,
            self.call_log,
            self.telephony.handler,
            max_calls=settings.calls.max_concurrent,
        )
        self.acd = Acd(self.db, self.bus, asterisk.instance)
        self.acd.bind(self.controller)
        self.acd.enable_dial_out(self.controller, settings.calls.callback_dial)
        self.acd.enable_transfers(settings.calls.callback_dial)
        if isinstance(self.telephony.handler, FlowCallHandler):
            self.telephony.handler.queue_handler = self.acd.take
            self.acd.use_media(self.telephony.handler.media)
            self.acd.record_into(self.telephony.handler.recordings)
        self.acd_recordings = RecordingFiler(self.db, self.ticketing.attachments.store)
        self.channels = build_channels(
            settings.channels,
            self.db,
            self.bus,
            self.ticketing.attachments.store,
            default_region=settings.calls.default_region,
            chat_secret=self.secrets.session_key,
        )
        if self.channels.chat is not None:  # the chatbot answers first; agents by presence
            enable_chatbot(
                self.channels.chat,
                KnowledgeService(self.db),
                self.ticketing.streets,
                acd_agents=lambda: self.acd.service.router.agents.values(),
            )

    async def __aenter__(self) -> System:
        await self.db.check()
        await self.bus.check()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.controller.shutdown()
        await self.telephony.close()
        await self.ticketing.webhook_sender.close()
        await self.channels.close()
        self.ami.close()
        await self.ari.close()
        await self.bus.close()
        await self.db.close()

    def web_app(self, *, with_controller: bool) -> object:
        return create_app(
            WebContext(
                db=self.db,
                api_token=self.secrets.api_token,
                calls=self.call_log,
                tickets=self.ticketing.queries,
                ticketing=self.ticketing,
                controller=self.controller if with_controller else None,
                flows=self.telephony.registry if with_controller else None,
                channels=self.channels,
                bus=self.bus,
                acd=self.acd if with_controller else None,
            )
        )

    async def serve(self, *, controller: bool, web: bool) -> None:
        """Run the controller and/or the web server until one stops or a signal arrives."""
        if web:
            ensure_port_free(
                self.settings.web.host, self.settings.web.port, socket.SOCK_STREAM, "web"
            )
        tasks: list[asyncio.Task[None]] = []
        if controller:
            await self.controller.check_credentials()
            await self.ami.connect()
            tasks.append(asyncio.create_task(self.controller.run(), name="controller"))
            tasks.append(asyncio.create_task(self.acd.run(self.ami), name="acd"))
            if self.telephony.registry is not None:
                watch = self.telephony.registry.watch(self.settings.ivr.reload_interval)
                tasks.append(asyncio.create_task(watch, name="flow-reload"))
            filer = self.telephony.voicemail
            if filer is not None:
                self.controller.after_call.append(lambda _record: filer.wake.set())
                tasks.append(asyncio.create_task(filer.run(), name="voicemail"))
            recordings = self.acd_recordings
            self.controller.after_call.append(lambda _record: recordings.wake.set())
            tasks.append(asyncio.create_task(recordings.run(), name="acd-recordings"))
        if web:
            config = uvicorn.Config(
                self.web_app(with_controller=controller),  # type: ignore[arg-type]
                host=self.settings.web.host,
                port=self.settings.web.port,
                log_level="warning",
                lifespan="off",
            )
            tasks.append(asyncio.create_task(uvicorn.Server(config).serve(), name="web"))
            # Time-based ticket work (SLA warnings and breaches) runs beside the web app.
            tasks.append(asyncio.create_task(self.ticketing.scheduler.run(), name="scheduler"))
            sender = self.ticketing.webhook_sender.run()
            tasks.append(asyncio.create_task(sender, name="webhooks"))
            # Customer channels: the SMTP listener (when enabled), threading, the outbox.
            tasks.append(asyncio.create_task(self.channels.run(), name="channels"))
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
