"""The one exit for queue events: a row in the queue log, then the event bus."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from sqlmodel import col, update

from pbx.acd.models import QueueEvent
from pbx.models import CallRecord
from switchboard.bus import EventBus
from switchboard.db import Database

log = logging.getLogger(__name__)


class QueueEventKind(StrEnum):
    ENTERED = "entered"
    OFFERED = "offered"
    NO_ANSWER = "no_answer"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    COMPLETED = "completed"
    OVERFLOWED = "overflowed"
    MAX_WAIT = "max_wait"  # left unanswered after the queue's max wait (no overflow)
    TURNED_AWAY = "turned_away"  # the queue was full or nobody served it (no overflow)
    AGENT_STATE = "agent_state"
    ANNOUNCED = "announced"  # position and estimated wait, once it started playing
    CALLBACK_REQUESTED = "callback_requested"  # the caller's place became a callback
    CALLBACK_RESTORED = "callback_restored"  # back in line after a controller restart
    CALLBACK_COMPLETED = "callback_completed"  # with outcome (answered / not_reached)
    DIAL_OUT_REQUESTED = "dial_out_requested"  # an agent's click-to-call (with number)
    DIAL_OUT_COMPLETED = "dial_out_completed"  # with outcome, as for callbacks
    HELD = "held"  # the agent put the caller on hold (music)
    RESUMED = "resumed"
    MUTED = "muted"  # the agent's microphone, towards the caller
    UNMUTED = "unmuted"
    AGENT_HANGUP = "agent_hangup"  # the agent ended the call from the API
    TRANSFERRED = "transferred"  # with target and kind
    CONSULTING = "consulting"  # attended transfer: the agent talks with the target
    TRANSFER_FAILED = "transfer_failed"  # the target did not answer: back to the agent
    TRANSFER_CANCELLED = "transfer_cancelled"
    CONFERENCED = "conferenced"  # a third party (target) rung into the call
    RECORDING = "recording"  # the queue records the conversation (to the file named)
    SUPERVISED = "supervised"  # a supervisor listens, whispers or barges in (mode)


class QueueLog:
    def __init__(self, db: Database, bus: EventBus | None, node: str) -> None:
        self.db = db
        self.bus = bus
        self.node = node

    async def record(
        self,
        kind: QueueEventKind,
        /,
        *,
        queue: str = "",
        contact: str = "",
        agent: str = "",
        wait_seconds: float | None = None,
        **data: Any,
    ) -> None:
        row = QueueEvent(
            queue=queue,
            event=kind.value,
            contact_id=contact,
            agent=agent,
            wait_seconds=None if wait_seconds is None else round(wait_seconds, 3),
            data=data,
        )
        async with self.db.transaction() as session:
            session.add(row)
        if self.bus is not None:
            payload = {
                "queue": queue,
                "contact": contact,
                "agent": agent,
                "wait_seconds": row.wait_seconds,
                **data,
            }
            await self.bus.publish(f"acd.{kind.value}", payload)

    async def call_agent(self, channel_id: str, agent: str) -> None:
        """The call record (and so its ticket entry) names the agent who answered."""
        async with self.db.transaction() as session:
            await session.exec(
                update(CallRecord)
                .where(col(CallRecord.channel_id) == channel_id)
                .where(col(CallRecord.asterisk_node) == self.node)
                .values(agent=agent)
            )
