"""The IVR's view of a call (``CallPort``), implemented over an ARI ``Call``."""

from __future__ import annotations

import contextlib
import uuid
import wave
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from pbx.ari.models import ChannelDtmfReceived
from pbx.call import Call, CallEnded
from pbx.ivr.port import CallerHangup, QueueResult, Recording
from pbx.ivr.prompts import ResolvedPrompt
from pbx.prompt_media import PromptMedia
from switchboard.db_types import utcnow

AcdQueue = Callable[[Call, str, Sequence[str], int], Awaitable[QueueResult | None]]
"""The ACD: serves the caller in a queue; None when there is no such queue."""


class AriCallPort:
    def __init__(
        self, call: Call, media: PromptMedia, recordings: Path, acd: AcdQueue | None = None
    ) -> None:
        """``recordings`` is Asterisk's recording folder as seen from this host."""
        self.call = call
        self.acd = acd
        self.media = media
        self.recordings = recordings
        self.handoff: tuple[str, tuple[str, ...], int] | None = None

    async def answer(self) -> None:
        try:
            await self.call.answer()
        except CallEnded as exc:
            raise CallerHangup from exc

    async def play(
        self, prompts: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        if interruptible and self.call.digits:
            return self.call.digits.popleft()  # typed ahead: no need to hear it
        media = await self.media.media(prompts)
        try:
            key = await self.call.play(media, interruptible=interruptible)
        except CallEnded as exc:
            raise CallerHangup from exc
        if not interruptible:
            self.call.digits.clear()
        return key

    async def read_digits(
        self,
        max_digits: int,
        timeout: float,
        terminator: str | None = None,
        first_digit: str | None = None,
    ) -> str:
        keys = first_digit or ""
        try:
            while len(keys) < max_digits:
                if not self.call.digits:
                    event = await self.call.wait_for(
                        lambda e: isinstance(e, ChannelDtmfReceived), timeout
                    )
                    if event is None:
                        break
                key = self.call.digits.popleft()
                if terminator and key == terminator:
                    break
                keys += key
        except CallEnded as exc:
            raise CallerHangup from exc
        return keys

    async def record(self, max_seconds: int, silence_seconds: int, beep: bool) -> Recording | None:
        """A message; when the caller hangs up to end it, the message is still kept."""
        name = f"switchboard/{self.call.id}-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(CallEnded):  # hanging up is how many callers finish one
            await self.call.record(
                name, max_seconds=max_seconds, silence_seconds=silence_seconds, beep=beep
            )
        return self._finished(name)

    async def listen(self, seconds: float) -> bytes | None:
        name = f"switchboard/{self.call.id}-{uuid.uuid4().hex[:8]}-speech"
        try:
            await self.call.record(
                name, max_seconds=max(1, round(seconds)), silence_seconds=2, beep=False
            )
        except CallEnded as exc:
            raise CallerHangup from exc
        path = self.recording_path(name)
        if self._finished(name) is None:
            return None
        with wave.open(str(path), "rb") as audio:
            frames = audio.readframes(audio.getnframes())
        path.unlink(missing_ok=True)
        return frames

    async def transfer(self, target: str) -> bool:
        # Transfers need bridges and outbound legs: they come with the ACD.
        return False

    async def enqueue(self, queue: str, skills: Sequence[str], priority: int) -> QueueResult:
        """The ACD serves the caller here: CONNECTED once an agent answered, OVERFLOW when
        the caller left the queue unanswered (the flow goes on at the node's ``next``).
        Without such an ACD queue the call handler holds the caller (``handoff``)."""
        if self.acd is not None:
            try:
                result = await self.acd(self.call, queue, skills, priority)
            except CallEnded as exc:
                raise CallerHangup from exc
            if result is not None:
                return result
        self.handoff = (queue, tuple(skills), priority)
        return QueueResult.CONNECTED

    async def hangup(self) -> None:
        await self.call.hangup()

    def now(self) -> datetime:
        return utcnow()

    def recording_path(self, name: str) -> Path:
        return self.recordings / f"{name}.wav"

    def _finished(self, name: str) -> Recording | None:
        path = self.recording_path(name)
        if not path.exists():
            return None
        with wave.open(str(path), "rb") as audio:
            seconds = audio.getnframes() / float(audio.getframerate() or 8000)
        if seconds < 0.5:
            path.unlink(missing_ok=True)
            return None
        return Recording(name=name, duration_seconds=round(seconds, 2))
