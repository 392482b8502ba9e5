"""Recording per queue policy: a queue with ``record`` set records each bridged
conversation (Asterisk mixes the bridge into one WAV in its recording folder), and a row
remembers the file until it is attached to the call's ticket entry."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sqlmodel import col, select

from pbx.acd.errors import UnknownQueue
from pbx.acd.models import AcdQueue, CallRecording
from pbx.ari.client import AriClient
from switchboard.db import Database

log = logging.getLogger(__name__)


async def set_recording(db: Database, queue: str, record: bool) -> AcdQueue:
    """Turn a queue's recording policy on or off (calls bridged from now on)."""
    async with db.transaction() as session:
        found = (await session.exec(select(AcdQueue).where(col(AcdQueue.name) == queue))).first()
        if found is None:
            raise UnknownQueue(f"no queue is named '{queue}'")
        found.record = record
        session.add(found)
    return found


class QueueRecorder:
    def __init__(self, db: Database, node: str) -> None:
        self.db = db
        self.node = node
        self.recordings: Path | None = None  # Asterisk's recording folder, on this host

    async def start(
        self, ari: AriClient, bridge: str, channel_id: str, queue: str, agent: str
    ) -> CallRecording | None:
        """Record ``bridge`` when ``queue`` says so; the row, or None when not recorded."""
        if self.recordings is None or not await self._records(queue):
            return None
        name = f"switchboard/acd-{uuid.uuid4().hex}"
        await ari.record_bridge(bridge, name)
        row = CallRecording(
            channel_id=channel_id,
            asterisk_node=self.node,
            queue=queue,
            agent=agent,
            recording=str(self.recordings / f"{name}.wav"),
        )
        async with self.db.transaction() as session:
            session.add(row)
        log.info("call %s: recording its conversation with agent %s", channel_id, agent)
        return row

    async def _records(self, queue: str) -> bool:
        async with self.db.session() as session:
            statement = select(AcdQueue.record).where(col(AcdQueue.name) == queue)
            return bool((await session.exec(statement)).first())
