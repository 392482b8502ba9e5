"""One call as seen by the code that handles it: answer, play, record, hang up.

Events for the call arrive on its own queue, in Asterisk's order, from the controller's
reader task. The handler's coroutine consumes them through ``wait_for``: a method such as
``play`` starts an operation over REST and then waits for the event that finishes it,
while DTMF digits that arrive meanwhile are buffered and a hangup raises ``CallEnded``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pbx.ari.client import AriClient
from pbx.ari.errors import AriConflict, AriNotFound
from pbx.ari.models import (
    AriEvent,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
)
from pbx.call_state import CallInput, CallState, next_state
from switchboard.db_types import utcnow

log = logging.getLogger(__name__)


class CallEnded(Exception):
    """The channel left Switchboard (hung up); the handler stops where it is."""


class Resynced(AriEvent):
    """Sent by the controller after the event stream reconnected: events may be missing."""

    present: bool


class Call:
    def __init__(
        self,
        channel: Channel,
        ari: AriClient,
        *,
        recovered: bool = False,
        stasis_start: datetime | None = None,
        on_answered: Callable[[datetime], None] | None = None,
    ) -> None:
        self.channel = channel
        self._on_answered = on_answered
        self.stasis_start = stasis_start
        self.ari = ari
        self.recovered = recovered
        self.state = CallState.RINGING
        self.started_at: datetime = channel.creationtime or utcnow()
        self.answered_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.hangup_cause = ""
        self.language = channel.language or "en"
        self.path: list[dict[str, Any]] = []
        self.trace_commands = True  # record answer/play/... steps in the path
        self.flow = ""  # the IVR flow the call went through, if any
        self.outcome = ""  # where the flow left the caller (queue, voicemail, ...)
        self.digits: deque[str] = deque()
        self.key_to_prompt_ms: list[float] = []
        self._last_key_at: datetime | None = None
        self.events: asyncio.Queue[AriEvent] = asyncio.Queue()

    @property
    def id(self) -> str:
        return self.channel.id

    @property
    def caller_number(self) -> str:
        return self.channel.caller.number

    @property
    def dialled_number(self) -> str:
        return self.channel.dialplan.exten

    # --- events ---------------------------------------------------------------------
    def deliver(self, event: AriEvent) -> None:
        self.events.put_nowait(event)

    def _transition(self, event: CallInput) -> None:
        self.state = next_state(self.state, event)

    def _mine(self, event: AriEvent) -> bool:
        channel = getattr(event, "channel", None)
        return channel is None or channel.id == self.id

    def _observe(self, event: AriEvent) -> None:
        if not self._mine(event):
            return  # another leg of this call (an agent's phone): the session reads it
        if isinstance(event, ChannelDtmfReceived):
            self.digits.append(event.digit)
            self._last_key_at = event.timestamp
        elif isinstance(event, PlaybackStarted) and self._last_key_at and event.timestamp:
            # responsiveness as the caller feels it: key released -> next prompt starts
            waited = (event.timestamp - self._last_key_at).total_seconds() * 1000
            self.key_to_prompt_ms.append(round(waited, 1))
            self._last_key_at = None
        elif isinstance(event, ChannelHangupRequest) and not self.hangup_cause:
            self.hangup_cause = f"caller hung up (Q.850 cause {event.cause})"
        if self.state is CallState.ENDED:
            return
        if isinstance(event, StasisEnd | ChannelDestroyed) or (
            isinstance(event, Resynced) and not event.present
        ):
            self.ended_at = event.timestamp or utcnow()
            self._transition(CallInput.END)

    async def wait_for(
        self, predicate: Callable[[AriEvent], bool], timeout: float | None = None
    ) -> AriEvent | None:
        """The next event matching ``predicate``; None on timeout; CallEnded on hangup."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self.state is CallState.ENDED:
                raise CallEnded(self.id)
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                event = await asyncio.wait_for(self.events.get(), remaining)
            except TimeoutError:
                return None
            self._observe(event)
            if self.state is CallState.ENDED:
                raise CallEnded(self.id)
            if predicate(event):
                return event

    async def drain_until_ended(self, timeout: float) -> None:
        """Consume events until the channel has left Stasis (after a hangup we asked for)."""
        try:
            await self.wait_for(lambda _e: False, timeout)
        except CallEnded:
            return

    def step(self, action: str, **details: Any) -> None:
        if not self.trace_commands:
            return
        self.path.append({"at": utcnow().isoformat(), "action": action, **details})

    # --- commands -------------------------------------------------------------------
    async def answer(self) -> None:
        if self.state is CallState.ANSWERED:
            return
        await self._command(self.ari.answer(self.id))
        self._transition(CallInput.ANSWER)
        self.answered_at = utcnow()
        if self.stasis_start is None:
            self.step("answer")
        else:  # how long the caller waited on Switchboard, from Asterisk's own clock
            waited = (self.answered_at - self.stasis_start).total_seconds() * 1000
            self.step("answer", after_stasis_start_ms=round(waited, 1))
        if self._on_answered is not None:
            self._on_answered(self.answered_at)

    async def play(self, media: list[str], *, interruptible: bool = False) -> str | None:
        """Play media in order; returns the digit that cut it short when interruptible."""
        playback_id = uuid.uuid4().hex
        await self._command(self.ari.play(self.id, media, playback_id, lang=self.language))
        self.step("play", media=media)

        def finished(event: AriEvent) -> bool:
            if isinstance(event, PlaybackFinished):
                return event.playback.id == playback_id
            return interruptible and isinstance(event, ChannelDtmfReceived)

        while True:
            event = await self.wait_for(lambda e: finished(e) or isinstance(e, Resynced))
            if isinstance(event, Resynced):
                if not await self._exists(self.ari.playback(playback_id)):
                    return None
                continue
            if isinstance(event, ChannelDtmfReceived):
                await self._quietly(self.ari.stop_playback(playback_id))
                return self.digits.popleft()
            return None

    async def record(
        self, name: str, *, max_seconds: int, silence_seconds: int = 0, beep: bool = True
    ) -> RecordingFinished | None:
        """Record the caller to ``name`` (relative to Asterisk's recording dir)."""
        await self._command(
            self.ari.record(
                self.id,
                name,
                max_duration=max_seconds,
                max_silence=silence_seconds,
                beep=beep,
                terminate_on="#",
            )
        )
        self.step("record", name=name)

        def done(event: AriEvent) -> bool:
            return (
                isinstance(event, RecordingFinished | RecordingFailed)
                and event.recording.name == name
            )

        event = await self.wait_for(done)
        return event if isinstance(event, RecordingFinished) else None

    async def hold_music(self, seconds: float, moh_class: str = "default") -> None:
        """Music on hold for up to ``seconds``; CallEnded when the caller hangs up first."""
        await self._command(self.ari.start_moh(self.id, moh_class))
        self.step("hold", moh_class=moh_class)
        await self.wait_for(lambda _e: False, seconds)

    async def hangup(self, reason: str = "normal") -> None:
        if self.state is CallState.ENDED:
            return
        self.step("hangup", reason=reason)
        self.hangup_cause = self.hangup_cause or "hung up by Switchboard"
        await self._quietly(self.ari.hangup(self.id, reason))

    async def _command(self, operation: Any) -> Any:
        """Run a REST call; a channel that vanished under it means the caller hung up."""
        try:
            return await operation
        except (AriNotFound, AriConflict) as exc:
            if self.state is CallState.ENDED or isinstance(exc, AriNotFound):
                self.ended_at = self.ended_at or utcnow()
                if self.state is not CallState.ENDED:
                    self._transition(CallInput.END)
                raise CallEnded(self.id) from exc
            raise

    @staticmethod
    async def _quietly(operation: Any) -> None:
        with contextlib.suppress(AriNotFound, AriConflict):
            await operation

    @staticmethod
    async def _exists(operation: Any) -> bool:
        try:
            await operation
        except AriNotFound:
            return False
        return True
