"""The call controller: routes ARI events to per-call tasks and owns their lifecycle.

One reader (the event stream) hands each event to the call it concerns, on that call's
own queue; one task per call runs its handler and, whatever happens, closes its record.
On every (re)connection the controller reconciles with Asterisk: calls whose channels
vanished are closed, channels still in the app that it does not know (a restart) are
adopted and handed to the handler as recovered, and records left open by a crash are
closed, so no call hangs in Asterisk and no call record is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from pbx.ari.client import AriClient
from pbx.ari.errors import AriAuthError, AriError, AriNotFound
from pbx.ari.models import (
    AriEvent,
    Channel,
    ChannelDestroyed,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    StasisStart,
)
from pbx.ari.stream import EventStream
from pbx.call import Call, CallEnded, Resynced
from pbx.call_log import CallLog
from pbx.call_state import CallState
from pbx.models import CallRecord, Disposition
from switchboard.db_types import utcnow

log = logging.getLogger(__name__)

RECORD_AFTER_ANSWER_WITHIN = 0.5  # seconds a new call's record waits to include the answer
CLOSE_RECORD_GIVE_UP = 30.0  # seconds of backoff before a record that will not close is left

CallHandler = Callable[[Call], Awaitable[None]]


class CallController:
    def __init__(
        self,
        ari: AriClient,
        call_log: CallLog,
        handler: CallHandler,
        *,
        max_calls: int = 500,
    ) -> None:
        self.ari = ari
        self.call_log = call_log
        self.handler = handler
        self.calls: dict[str, Call] = {}
        self.max_calls = max_calls  # beyond this, new calls get the dialplan's apology
        self.turned_away = 0
        self.legs: dict[str, Call] = {}  # other channels of a call (an agent's leg) -> call
        self.after_call: list[Callable[[CallRecord], None]] = []  # run once a call is filed
        self._tasks: set[asyncio.Task[None]] = set()
        self.stream = EventStream(ari, self.dispatch, self.reconcile)

    async def check_credentials(self) -> dict[str, Any]:
        """Fail fast and clearly on wrong credentials or an unreachable Asterisk."""
        try:
            return await self.ari.asterisk_info()
        except AriAuthError as exc:
            raise AriAuthError(
                401,
                f"Asterisk at {self.ari.base_url} rejected ARI user '{self.ari.username}': "
                "the ARI password does not match the instance's (see `switchboard config show`)",
            ) from exc

    async def run(self) -> None:
        await self.check_credentials()
        await self.stream.run()

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- the reader ---------------------------------------------------------------
    def dispatch(self, event: AriEvent) -> None:
        channel_id = _channel_of(event)
        if channel_id is None:
            return
        call = self.calls.get(channel_id) or self.legs.get(channel_id)
        if call is None and isinstance(event, StasisStart):
            if len(self.calls) >= self.max_calls:
                self._turn_away(channel_id)
                return
            call = self._adopt(event.channel, recovered=False, stasis_start=event.timestamp)
        if call is not None:
            call.deliver(event)
        if isinstance(event, ChannelDestroyed):
            self.legs.pop(channel_id, None)

    def _adopt(
        self, channel: Channel, *, recovered: bool, stasis_start: datetime | None = None
    ) -> Call:
        # The record is written alongside the handler, so answering never waits on the disk;
        # it waits a moment for the answer instead, so one INSERT carries both times.
        answered = asyncio.Event()
        writes: list[asyncio.Task[None]] = []

        async def open_record() -> int:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answered.wait(), RECORD_AFTER_ANSWER_WITHIN)
            return await self.call_log.started(
                channel_id=channel.id,
                caller_number=channel.caller.number,
                caller_name=channel.caller.name,
                dialled_number=channel.dialplan.exten,
                started_at=channel.creationtime or utcnow(),
                answered_at=call.answered_at,
            )

        async def persist_answer(at: datetime) -> None:
            await self.call_log.answered(await asyncio.shield(record), at)

        def on_answered(at: datetime) -> None:
            if record.done():  # the record went in without it: add it now
                writes.append(asyncio.create_task(persist_answer(at)))
            answered.set()

        call = Call(
            channel,
            self.ari,
            recovered=recovered,
            stasis_start=stasis_start,
            on_answered=on_answered,
        )
        record = asyncio.create_task(open_record())
        self.calls[channel.id] = call
        task = asyncio.create_task(self._run_call(call, record, writes), name=f"call-{channel.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call

    def _turn_away(self, channel_id: str) -> None:
        """Overload: hand the call straight back to the dialplan (an apology) instead of
        taking on more calls than the controller can serve well."""
        self.turned_away += 1
        log.warning("%d calls in progress: turning call %s away", len(self.calls), channel_id)
        task = asyncio.create_task(self._continue_quietly(channel_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _continue_quietly(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.continue_in_dialplan(channel_id)

    def attach_leg(self, channel_id: str, call: Call) -> None:
        """Deliver the events of ``channel_id`` (e.g. an agent's leg) to ``call``'s queue."""
        self.legs[channel_id] = call

    def detach_leg(self, channel_id: str) -> None:
        self.legs.pop(channel_id, None)

    # --- one call -----------------------------------------------------------------
    async def _run_call(
        self, call: Call, record: asyncio.Task[int], writes: list[asyncio.Task[None]]
    ) -> None:
        """Run the handler; whatever happens, close the call's record last."""
        disposition = Disposition.ANSWERED
        try:
            await self.handler(call)
            await call.hangup()
        except CallEnded:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("handler failed on call %s; sending it back to the dialplan", call.id)
            disposition = Disposition.FAILED
            await self._return_to_dialplan(call)
        try:
            if call.state is not CallState.ENDED:
                await call.drain_until_ended(timeout=10)
            if call.state is not CallState.ENDED:  # nothing ended it: never leave it hanging
                with contextlib.suppress(AriError):
                    await self.ari.hangup(call.id)
        finally:
            self.calls.pop(call.id, None)
            if call.answered_at is None and disposition is Disposition.ANSWERED:
                disposition = Disposition.ABANDONED
            if call.recovered:
                disposition = Disposition.INTERRUPTED
            await asyncio.gather(*writes, return_exceptions=True)
            filed = await self._close_record(call, record, disposition)
            for listener in self.after_call:
                listener(filed)

    async def _close_record(
        self, call: Call, record: asyncio.Task[int], disposition: Disposition
    ) -> CallRecord:
        """Close the record, retrying through passing database trouble (a busy SQLite, a
        full pool): a call that happened is never left without its record."""
        delay = 0.1
        while True:
            try:
                return await self.call_log.ended(
                    await asyncio.shield(record),
                    answered_at=call.answered_at,
                    ended_at=call.ended_at or utcnow(),
                    disposition=disposition,
                    hangup_cause=call.hangup_cause,
                    path=call.path,
                    flow=call.flow,
                    outcome=call.outcome,
                )
            except (SQLAlchemyError, OSError) as exc:
                if delay > CLOSE_RECORD_GIVE_UP:
                    raise
                log.warning("closing the record of call %s failed (%s); retrying", call.id, exc)
                await asyncio.sleep(delay)
                delay *= 2

    async def _return_to_dialplan(self, call: Call) -> None:
        try:
            await self.ari.continue_in_dialplan(call.id)
        except AriError:
            try:
                await call.hangup("normal")
            except AriError as exc:
                log.error("could not hand call %s back nor hang it up: %s", call.id, exc)

    # --- reconciliation -------------------------------------------------------------
    async def reconcile(self) -> None:
        try:
            live = set((await self.ari.application()).channel_ids)
        except AriNotFound:
            live = set()
        for channel_id, call in list(self.calls.items()):
            call.deliver(Resynced(type="SwitchboardResynced", present=channel_id in live))
        for channel_id in live - self.calls.keys() - self.legs.keys():
            try:
                channel = await self.ari.channel(channel_id)
            except AriNotFound:
                continue
            log.warning("adopting channel %s left by a previous controller", channel_id)
            self._adopt(channel, recovered=True)
        for record in await self.call_log.open_records():
            if record.channel_id in live or record.channel_id in self.calls:
                continue
            assert record.id is not None
            log.warning("closing call record %s: its channel is gone", record.id)
            await self.call_log.ended(
                record.id,
                answered_at=record.answered_at,
                ended_at=utcnow(),
                disposition=Disposition.INTERRUPTED,
                hangup_cause="lost while the controller was down",
            )

    def snapshot(self) -> list[dict[str, Any]]:
        """The calls in progress, for the API and for operators."""
        return [
            {
                "channel_id": call.id,
                "caller_number": call.caller_number,
                "dialled_number": call.dialled_number,
                "state": call.state.value,
                "started_at": call.started_at.isoformat(),
                "recovered": call.recovered,
            }
            for call in self.calls.values()
        ]


def _channel_of(event: AriEvent) -> str | None:
    channel = getattr(event, "channel", None)
    if channel is not None:
        return str(channel.id)
    if isinstance(event, PlaybackStarted | PlaybackFinished):
        uri = event.playback.target_uri
    elif isinstance(event, RecordingFinished | RecordingFailed):
        uri = event.recording.target_uri
    else:
        return None
    kind, _, target = uri.partition(":")
    return target if kind == "channel" else None
