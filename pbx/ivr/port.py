"""What the flow runner needs from the outside world.

`CallPort` is the call itself (implemented over ARI by the call controller, and by a
scripted fake in the simulator). `FlowServices` bundles the business services some nodes
use; each is a small async callable so tests can pass plain functions.

Contract for `CallPort` implementations:
- Every method may raise `CallerHangup` once the caller has gone; the runner ends there.
- DTMF is buffered per call: `play(..., interruptible=True)` returns as soon as a key is
  pressed (the key is consumed and returned); `read_digits` consumes buffered keys first;
  keys pressed during `play(..., interruptible=False)` are discarded.
- `now()` returns a timezone-aware datetime.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from .prompts import ResolvedPrompt


class CallerHangup(Exception):
    """The caller hung up; raised by any `CallPort` method."""


class QueueResult(enum.StrEnum):
    CONNECTED = "connected"
    """Handed to the queue / an agent: the flow is done."""
    OVERFLOW = "overflow"
    """Queue closed, full or waited too long: the flow goes on at the queue node's `next`."""


@dataclass(frozen=True)
class Recording:
    name: str
    """The recording's name on the media server (ARI stored recording name)."""
    duration_seconds: float


class CallPort(Protocol):
    async def answer(self) -> None:
        """Answer the call (called once before the first node; must be idempotent)."""

    async def play(
        self, prompts: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        """Play prompts in order; return the key that interrupted them, or None."""

    async def read_digits(
        self,
        max_digits: int,
        timeout: float,
        terminator: str | None = None,
        first_digit: str | None = None,
    ) -> str:
        """Wait up to `timeout` seconds for each key; stop at `max_digits` or the terminator.

        Returns the keys pressed without the terminator, prefixed by `first_digit` when
        given (a key that already interrupted a prompt); "" when nothing was pressed.
        """

    async def record(self, max_seconds: int, silence_seconds: int, beep: bool) -> Recording | None:
        """Record the caller (ending on `#`, silence or `max_seconds`); None when nothing
        was said. A caller who hangs up to end the message still gets it saved: return the
        recording, and raise `CallerHangup` from the next call."""

    async def listen(self, seconds: float) -> bytes | None:
        """Record up to `seconds` of speech for recognition as 8 kHz 16-bit mono PCM (what
        `pbx.media.speech.VoskRecognizer.match` takes); None on silence."""

    async def transfer(self, target: str) -> bool:
        """Blind-transfer to an extension or external number; False if it failed."""

    async def enqueue(self, queue: str, skills: Sequence[str], priority: int) -> QueueResult:
        """Put the call into an agent queue."""

    async def hangup(self) -> None:
        """Hang up the call."""

    def now(self) -> datetime:
        """The current time (timezone-aware)."""


@dataclass(frozen=True)
class CallContext:
    """What the controller knows about a call when the flow starts."""

    call_id: str
    caller: str
    """Caller number, E.164 when known (`+358401234567`)."""
    dialled: str
    """The number the caller dialled (used to pick the flow from routes.yaml)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Extra starting variables (e.g. from the CRM)."""
    language: str | None = None
    """Starting language; default: the flow's."""


@dataclass(frozen=True)
class Outage:
    kind: Literal["outage", "planned"]
    message: Mapping[str, str]
    """What to tell the caller, per language (`{"fi": "...", "en": "..."}`)."""
    area: str = ""


class HttpLookup(Protocol):
    async def __call__(
        self, method: str, url: str, params: Mapping[str, str], timeout: float
    ) -> Mapping[str, Any]:
        """Call a JSON API (GET: params as query, POST: as JSON body); raise on failure."""


class OutageLookup(Protocol):
    async def __call__(self, area: str) -> Sequence[Outage]:
        """Active outages and planned works for a postcode or address."""


class TicketService(Protocol):
    async def __call__(
        self,
        call: CallContext,
        action: Literal["create", "tag"],
        category: str,
        fields: Mapping[str, str],
    ) -> str | None:
        """Create or tag the call's ticket; return the ticket number when there is one."""


class SurveyStore(Protocol):
    async def __call__(
        self, call: CallContext, survey: str, answers: Mapping[str, int | None]
    ) -> None:
        """Store survey answers (1-5, None when a question was skipped)."""


class CallbackStore(Protocol):
    async def __call__(self, call: CallContext, number: str, queue: str | None) -> str | None:
        """Book a callback; return its id."""


class VoicemailStore(Protocol):
    async def __call__(self, call: CallContext, mailbox: str, recording: Recording) -> str | None:
        """Keep a recorded message; return its id."""


class SpeechMatcher(Protocol):
    async def __call__(self, audio: bytes, phrases: Sequence[str], language: str) -> str | None:
        """Which of `phrases` the caller said, or None."""


@dataclass(frozen=True)
class FlowServices:
    """Services used by some node types; a missing one makes those nodes take their
    failure branch (recorded in the path)."""

    http_lookup: HttpLookup | None = None
    outages: OutageLookup | None = None
    tickets: TicketService | None = None
    surveys: SurveyStore | None = None
    callbacks: CallbackStore | None = None
    voicemail: VoicemailStore | None = None
    speech: SpeechMatcher | None = None
