"""Queue recordings onto tickets: once a call has ended and has its ticket, each
recording of its conversations is attached to the call's entry on that ticket.

The row's status drives the work, so a recording left behind by a crash or restart is
filed by the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlmodel import col, select

from pbx.acd.models import CallRecording
from pbx.models import CallRecord
from switchboard.db import Database
from switchboard.workers import keep_working
from ticketing.attachments import AttachmentStore
from ticketing.models import Attachment, EntryKind, TicketEntry

log = logging.getLogger(__name__)

RECORDED = "recorded"
FILED = "filed"
MISSING = "missing"


class RecordingFiler:
    def __init__(self, db: Database, store: AttachmentStore) -> None:
        self.db = db
        self.store = store
        self.wake = asyncio.Event()

    async def run(self, poll_seconds: float = 30) -> None:
        """File pending recordings now, after every call that ends, and every so often."""
        await keep_working(
            self.file_pending, what="filing call recordings", every=poll_seconds, wake=self.wake
        )

    async def file_pending(self) -> int:
        async with self.db.session() as session:
            statement = (
                select(CallRecording, CallRecord, TicketEntry)
                .join(
                    CallRecord,
                    (col(CallRecord.channel_id) == CallRecording.channel_id)
                    & (col(CallRecord.asterisk_node) == CallRecording.asterisk_node),
                )
                .join(
                    TicketEntry,
                    (col(TicketEntry.call_id) == CallRecord.id)
                    & (col(TicketEntry.kind) == EntryKind.CALL),
                )
                .where(col(CallRecording.status) == RECORDED)
                .where(col(CallRecord.ended_at).is_not(None))
                .order_by(col(CallRecording.id))
            )
            pending = list((await session.exec(statement)).all())
        for recording, record, entry in pending:
            await self.file(recording, record, entry)
        return len(pending)

    async def file(self, recording: CallRecording, record: CallRecord, entry: TicketEntry) -> None:
        audio = Path(recording.recording)
        if not await asyncio.to_thread(audio.is_file):
            log.warning("recording %s of call %s is missing", audio, record.id)
            async with self.db.transaction() as session:
                current = await session.get(CallRecording, recording.id)
                if current is not None:
                    current.status = MISSING  # Asterisk wrote nothing: nothing to file
                    session.add(current)
            return
        sha, size = await self.store.put(_chunks(audio), "audio/wav")
        async with self.db.transaction() as session:
            current = await session.get(CallRecording, recording.id, with_for_update=True)
            if current is None or current.status == FILED:
                return
            session.add(
                Attachment(
                    ticket_id=entry.ticket_id,
                    entry_id=entry.id,
                    sha256=sha,
                    size=size,
                    content_type="audio/wav",
                    filename=f"call-{record.id}-agent-{current.agent}-{current.id}.wav",
                )
            )
            current.status = FILED
            current.ticket_entry_id = entry.id
            session.add(current)
        log.info("recording %s filed on ticket %s", recording.id, entry.ticket_id)


async def _chunks(path: Path, size: int = 1 << 16) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, size):
            yield chunk
