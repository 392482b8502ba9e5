"""Callback requests in the database: the caller's place survives a controller restart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import col, select, update

from pbx.acd.models import QueuedCallback
from switchboard.db import Database
from switchboard.db_types import utcnow

PENDING = "pending"  # waits for its turn (or is being offered to an agent)
CONNECTED = "connected"  # the caller was dialled back and answered
DONE = "done"


class CallbackStore:
    def __init__(self, db: Database, node: str) -> None:
        self.db = db
        self.node = node

    async def add(
        self,
        contact: str,
        *,
        queue: str,
        number: str,
        call_id: str,
        entered_at: datetime,
        priority: int,
        skills: Mapping[str, int],
    ) -> QueuedCallback:
        row = QueuedCallback(
            contact_id=contact,
            asterisk_node=self.node,
            queue=queue,
            number=number,
            call_id=call_id,
            entered_at=entered_at,
            priority=priority,
            skills=dict(skills),
        )
        async with self.db.transaction() as session:
            session.add(row)
        return row

    async def connected(self, contact: str) -> None:
        await self._set(contact, status=CONNECTED)

    async def done(self, contact: str, outcome: str) -> None:
        await self._set(contact, status=DONE, outcome=outcome, completed_at=utcnow())

    async def unfinished(self) -> list[QueuedCallback]:
        """This node's requests not yet done, oldest caller first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(QueuedCallback)
                .where(col(QueuedCallback.asterisk_node) == self.node)
                .where(col(QueuedCallback.status) != DONE)
                .order_by(col(QueuedCallback.entered_at), col(QueuedCallback.id))
            )
            return list(rows.all())

    async def _set(self, contact: str, **values: object) -> None:
        async with self.db.transaction() as session:
            await session.exec(
                update(QueuedCallback)
                .where(col(QueuedCallback.contact_id) == contact)
                .values(**values)
            )
