"""Voicemail onto tickets: once a call has ended and has its ticket, each message it left
is transcribed (Vosk, in the call's language, when a model is configured) and added to the
ticket's thread as a voicemail entry with the audio attached.

Work is driven by the database: a message is ``recorded`` until it is ``filed``, so one
left behind by a crash or restart is filed by the next run; transcription runs in a
worker thread and never blocks calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlmodel import col, select

from pbx.media.speech import SpeechUnavailable, VoskRecognizer
from pbx.models import CallRecord, Voicemail, VoicemailStatus
from switchboard.db import Database
from switchboard.workers import keep_working
from ticketing.attachments import AttachmentStore
from ticketing.models import Attachment, EntryKind, TicketEntry

log = logging.getLogger(__name__)


class VoicemailFiler:
    def __init__(
        self, db: Database, store: AttachmentStore, recognizer: VoskRecognizer | None
    ) -> None:
        self.db = db
        self.store = store
        self.recognizer = recognizer
        self.wake = asyncio.Event()

    async def run(self, poll_seconds: float = 30) -> None:
        """File pending messages now, after every call that ends, and every so often."""
        await keep_working(
            self.file_pending, what="filing voicemail", every=poll_seconds, wake=self.wake
        )

    async def file_pending(self) -> int:
        async with self.db.session() as session:
            statement = (
                select(Voicemail, CallRecord)
                .join(CallRecord, col(CallRecord.id) == Voicemail.call_id)
                .where(Voicemail.status == VoicemailStatus.RECORDED)
                .where(col(CallRecord.ticket_id).is_not(None))
                .order_by(col(Voicemail.id))
            )
            pending = list((await session.exec(statement)).all())
        for message, record in pending:
            await self.file(message, record)
        return len(pending)

    async def file(self, message: Voicemail, record: CallRecord) -> None:
        audio = Path(message.recording)
        language = _call_language(record)
        transcript = await self._transcribe(audio, language)
        sha, size = await self.store.put(_chunks(audio), "audio/wav")
        async with self.db.transaction() as session:
            current = await session.get(Voicemail, message.id, with_for_update=True)
            if current is None or current.status == VoicemailStatus.FILED:
                return
            assert record.ticket_id is not None
            entry = TicketEntry(
                ticket_id=record.ticket_id,
                kind=EntryKind.VOICEMAIL,
                channel="phone",
                direction="inbound",
                body=transcript or "",
                call_id=record.id,
                created_at=current.created_at,
            )
            session.add(entry)
            await session.flush()
            session.add(
                Attachment(
                    ticket_id=record.ticket_id,
                    entry_id=entry.id,
                    sha256=sha,
                    size=size,
                    content_type="audio/wav",
                    filename=f"voicemail-{record.id}-{current.id}.wav",
                )
            )
            current.status = VoicemailStatus.FILED
            current.language = language
            current.transcript = transcript
            current.ticket_entry_id = entry.id
            session.add(current)
        log.info("voicemail %s filed on ticket %s", message.id, record.ticket_id)

    async def _transcribe(self, audio: Path, language: str) -> str | None:
        if self.recognizer is None or not self.recognizer.supports(language):
            return None
        try:
            return await self.recognizer.transcribe_file(audio, language)
        except SpeechUnavailable as exc:
            log.warning("no transcript for %s: %s", audio, exc)
            return None


def _call_language(record: CallRecord) -> str:
    for step in reversed(record.path):
        if step.get("action") == "result" and step.get("language"):
            return str(step["language"])
    return "en"


async def _chunks(path: Path, size: int = 1 << 16) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, size):
            yield chunk
