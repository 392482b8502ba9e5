"""The durable side of a call: a record written when the call arrives, closed when it ends.

A record exists from the first moment Switchboard handles a channel, so a crash of the
controller never loses a call: recovery closes the records it left open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from pbx.models import (
    CallbackRequest,
    CallbackStatus,
    CallRecord,
    Disposition,
    SurveyAnswer,
)
from switchboard.bus import EventBus
from switchboard.db import Database

CallEndedHook = Callable[[AsyncSession, CallRecord], Awaitable[None]]


class CallLog:
    def __init__(
        self, db: Database, node: str, on_ended: CallEndedHook, bus: EventBus | None = None
    ) -> None:
        self.db = db
        self.node = node
        self._on_ended = on_ended
        self._bus = bus

    async def started(
        self,
        *,
        channel_id: str,
        caller_number: str,
        caller_name: str,
        dialled_number: str,
        started_at: datetime,
        direction: str = "inbound",
        answered_at: datetime | None = None,
        ticket_id: int | None = None,
    ) -> int:
        async with self.db.transaction() as session:
            existing = await self._by_channel(session, channel_id)
            if existing is not None:  # re-adopted after a controller restart
                assert existing.id is not None
                return existing.id
            record = CallRecord(
                channel_id=channel_id,
                asterisk_node=self.node,
                direction=direction,
                caller_number=caller_number,
                caller_name=caller_name,
                dialled_number=dialled_number,
                started_at=started_at,
                answered_at=answered_at,
                ticket_id=ticket_id,
            )
            session.add(record)
            await session.flush()
            assert record.id is not None
        await self._publish("call.started", record)
        return record.id

    async def answered(self, record_id: int, at: datetime) -> None:
        """Persist the answer as it happens, so a crash later cannot lose it."""
        async with self.db.transaction() as session:
            record = await session.get(CallRecord, record_id)
            if record is not None and record.answered_at is None:
                record.answered_at = at
                session.add(record)

    async def ended(
        self,
        record_id: int,
        *,
        answered_at: datetime | None,
        ended_at: datetime,
        disposition: Disposition,
        hangup_cause: str = "",
        path: Sequence[dict[str, Any]] = (),
        flow: str = "",
        outcome: str = "",
    ) -> CallRecord:
        """Close the record and file it (ticket) in one transaction; idempotent."""
        closed_now = False
        async with self.db.transaction() as session:
            record = await session.get(CallRecord, record_id, with_for_update=True)
            if record is None:
                raise LookupError(f"call record {record_id} does not exist")
            if record.disposition == Disposition.ACTIVE:
                closed_now = True
                record.answered_at = answered_at or record.answered_at
                record.ended_at = max(ended_at, record.started_at)
                record.disposition = disposition
                record.hangup_cause = hangup_cause
                record.duration_seconds = (record.ended_at - record.started_at).total_seconds()
                if record.answered_at is not None:
                    record.talk_seconds = (record.ended_at - record.answered_at).total_seconds()
                record.path = [*record.path, *path]
                record.flow = flow
                record.outcome = outcome
                session.add(record)
                await session.flush()
            await self._on_ended(session, record)
            await session.flush()
            await session.refresh(record)
        if closed_now:
            await self._publish("call.ended", record)
        return record

    async def _publish(self, topic: str, record: CallRecord) -> None:
        """Tell desktops and wallboards, once the record is committed (screen pop)."""
        if self._bus is not None:
            await self._bus.publish(topic, record.model_dump(mode="json", exclude={"path"}))

    async def open_records(self) -> list[CallRecord]:
        """Records of this node that were never closed (calls up, or lost by a crash)."""
        async with self.db.session() as session:
            statement = select(CallRecord).where(
                CallRecord.asterisk_node == self.node,
                CallRecord.disposition == Disposition.ACTIVE,
            )
            return list((await session.exec(statement)).all())

    async def _by_channel(self, session: AsyncSession, channel_id: str) -> CallRecord | None:
        statement = select(CallRecord).where(
            CallRecord.asterisk_node == self.node, CallRecord.channel_id == channel_id
        )
        return (await session.exec(statement)).first()

    async def get(self, record_id: int) -> CallRecord | None:
        async with self.db.session() as session:
            return await session.get(CallRecord, record_id)

    async def recent(self, limit: int, before_id: int | None = None) -> list[CallRecord]:
        """Newest first; ``before_id`` is the cursor from the previous page."""
        async with self.db.session() as session:
            statement = select(CallRecord).order_by(CallRecord.id.desc()).limit(limit)  # type: ignore[union-attr]
            if before_id is not None:
                statement = statement.where(CallRecord.id < before_id)  # type: ignore[operator]
            return list((await session.exec(statement)).all())

    async def record_id(self, channel_id: str) -> int | None:
        """The record of a call on this node by its channel, while the call is up."""
        async with self.db.session() as session:
            record = await self._by_channel(session, channel_id)
            return record.id if record is not None else None

    async def survey_answers(self, record_id: int) -> list[SurveyAnswer]:
        async with self.db.session() as session:
            statement = (
                select(SurveyAnswer)
                .where(SurveyAnswer.call_id == record_id)
                .order_by(SurveyAnswer.id)  # type: ignore[arg-type]
            )
            return list((await session.exec(statement)).all())

    async def callbacks(self, status: CallbackStatus | None, limit: int) -> list[CallbackRequest]:
        """Callback requests in the order they were made (oldest first: serve in turn)."""
        async with self.db.session() as session:
            statement = select(CallbackRequest).order_by(CallbackRequest.id).limit(limit)  # type: ignore[arg-type]
            if status is not None:
                statement = statement.where(CallbackRequest.status == status)
            return list((await session.exec(statement)).all())
