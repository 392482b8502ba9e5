"""The call-handling part of the composition root: which handler runs calls, and the
media, flow registry and services it needs."""

from __future__ import annotations

from pathlib import PurePosixPath

import httpx

from notices.service import NoticeService
from pbx.asterisk.instance import AsteriskInstance
from pbx.asterisk.runtime import locate_runtime
from pbx.call_log import CallLog
from pbx.controller import CallHandler
from pbx.flow_handler import FlowCallHandler
from pbx.flow_services import HttpLookupClient, OutageAnnouncements, SpeechChoices
from pbx.handlers import greeting_handler
from pbx.ivr.port import FlowServices
from pbx.ivr.registry import FlowRegistry
from pbx.ivr_store import IvrStore
from pbx.ivr_tickets import IvrTickets
from pbx.media.folders import MediaFolders
from pbx.media.speech import VoskRecognizer
from pbx.prompt_media import PromptMedia
from pbx.voicemail_filer import VoicemailFiler
from switchboard.db import Database
from switchboard.resources import resource_dir
from switchboard.secrets import Secrets
from switchboard.settings import Settings
from ticketing.attachments import AttachmentStore


def media_folders(settings: Settings, secrets: Secrets) -> MediaFolders:
    """Where prompts and recordings live, for the Asterisk this deployment uses."""
    asterisk = settings.asterisk
    if asterisk.mode == "external":
        if not (asterisk.media_dir and asterisk.media_dir_in_asterisk and asterisk.recordings_dir):
            raise ValueError(
                "asterisk.mode=external needs media_dir, media_dir_in_asterisk and "
                "recordings_dir: folders shared with the Asterisk host"
            )
        return MediaFolders(
            host=asterisk.media_dir,
            asterisk=PurePosixPath(asterisk.media_dir_in_asterisk),
            recordings=asterisk.recordings_dir,
        )
    runtime = locate_runtime(asterisk.mode, settings.cache_dir)
    if runtime is None:
        raise ValueError("Asterisk is not installed yet: run `switchboard pbx install`")
    return AsteriskInstance(runtime, asterisk, secrets).media_folders()


class Telephony:
    """Builds the call handler; owns the resources only it uses (HTTP client, registry)."""

    def __init__(
        self,
        settings: Settings,
        secrets: Secrets,
        db: Database,
        call_log: CallLog,
        attachments: AttachmentStore,
    ) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(follow_redirects=False)
        self.registry: FlowRegistry | None = None
        self.voicemail: VoicemailFiler | None = None
        calls = settings.calls
        if calls.handler == "greeting":
            self.handler: CallHandler = greeting_handler(calls.greeting)
            return
        folders = media_folders(settings, secrets)
        folders.uploads.mkdir(parents=True, exist_ok=True)
        self.registry = FlowRegistry.load(
            settings.ivr.flows_dir or resource_dir("ivr_flows"),
            sound_dirs=folders.sound_dirs,
            uploads_dir=folders.uploads,
        )
        store = IvrStore(call_log, folders.recordings)
        recognizer = VoskRecognizer(settings.speech.models) if settings.speech.models else None
        services = FlowServices(
            http_lookup=HttpLookupClient(self.http),
            tickets=IvrTickets(call_log, calls.default_region),
            surveys=store.survey,
            callbacks=store.callback,
            voicemail=store.voicemail,
            outages=OutageAnnouncements(NoticeService(db)),
            speech=SpeechChoices(recognizer) if recognizer is not None else None,
        )
        self.voicemail = VoicemailFiler(db, attachments, recognizer)
        self.handler = FlowCallHandler(
            self.registry,
            PromptMedia(folders, folders.synthesizer()),
            folders.recordings,
            services,
            default_region=calls.default_region,
            queue_hold_seconds=settings.ivr.queue_hold_seconds,
        )

    async def close(self) -> None:
        await self.http.aclose()
