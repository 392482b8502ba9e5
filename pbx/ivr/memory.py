"""In-memory `FlowServices` for the simulator and tests: they record what they were asked
and answer from data given up front."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .port import CallContext, FlowServices, Outage, Recording

Log = Callable[[str], None]


def _quiet(_line: str) -> None:
    return None


@dataclass
class MemoryHttp:
    """Answers with the JSON of the longest URL prefix given; fails for any other URL."""

    responses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    log: Log = _quiet
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    async def __call__(
        self, method: str, url: str, params: Mapping[str, str], timeout: float
    ) -> Mapping[str, Any]:
        self.calls.append((method, url, dict(params)))
        matches = [prefix for prefix in self.responses if url.startswith(prefix)]
        if not matches:
            self.log(f"[lookup] {method} {url} -> no answer")
            raise ConnectionError("no answer")
        answer = self.responses[max(matches, key=len)]
        self.log(f"[lookup] {method} {url} -> {dict(answer)}")
        return answer


@dataclass
class MemoryOutages:
    by_area: Mapping[str, Sequence[Outage]] = field(default_factory=dict)
    log: Log = _quiet

    async def __call__(self, area: str) -> Sequence[Outage]:
        found = list(self.by_area.get(area, ()))
        self.log(f"[outages] {area}: {len(found)} found")
        return found


@dataclass
class MemoryTickets:
    """`tag` adds a category to the call's ticket (opened on first use); `create` opens a
    new ticket. Numbers count up from `first_number`."""

    first_number: int = 100001
    log: Log = _quiet
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_call: dict[str, str] = field(default_factory=dict)

    async def __call__(
        self,
        call: CallContext,
        action: Literal["create", "tag"],
        category: str,
        fields: Mapping[str, str],
    ) -> str | None:
        number = self.by_call.get(call.call_id) if action == "tag" else None
        if number is None:
            number = str(self.first_number + len(self.tickets))
            self.tickets[number] = {"call_id": call.call_id, "categories": [], "fields": {}}
            if action == "tag":
                self.by_call[call.call_id] = number
        ticket = self.tickets[number]
        ticket["categories"].append(category)
        ticket["fields"].update(fields)
        shown = f" {dict(fields)}" if fields else ""
        self.log(f"[ticket] {action} #{number} category {category}{shown}")
        return number


@dataclass
class MemoryStore:
    """Keeps survey answers, callbacks and voicemail messages in lists."""

    log: Log = _quiet
    surveys: list[tuple[str, str, dict[str, int | None]]] = field(default_factory=list)
    callbacks: list[tuple[str, str, str | None]] = field(default_factory=list)
    messages: list[tuple[str, str, Recording]] = field(default_factory=list)

    async def survey(
        self, call: CallContext, survey: str, answers: Mapping[str, int | None]
    ) -> None:
        self.surveys.append((call.call_id, survey, dict(answers)))
        self.log(f"[survey] {survey}: {dict(answers)}")

    async def callback(self, call: CallContext, number: str, queue: str | None) -> str | None:
        self.callbacks.append((call.call_id, number, queue))
        self.log(f"[callback] {number}" + (f" from queue {queue}" if queue else ""))
        return f"cb-{len(self.callbacks)}"

    async def voicemail(self, call: CallContext, mailbox: str, recording: Recording) -> str | None:
        self.messages.append((call.call_id, mailbox, recording))
        self.log(f"[voicemail] {recording.duration_seconds:.0f} s saved to mailbox {mailbox}")
        return f"vm-{len(self.messages)}"


async def text_speech(audio: bytes, phrases: Sequence[str], language: str) -> str | None:
    """A 'recogniser' for scripted calls: the audio is the caller's words as UTF-8 text."""
    said = audio.decode("utf-8", "replace").casefold()
    for phrase in sorted(phrases, key=len, reverse=True):
        if phrase.casefold() in said:
            return phrase
    return None


@dataclass
class MemoryServices:
    """Every service in memory, ready to hand to the runner via `.services()`."""

    http: MemoryHttp = field(default_factory=MemoryHttp)
    outages: MemoryOutages = field(default_factory=MemoryOutages)
    tickets: MemoryTickets = field(default_factory=MemoryTickets)
    store: MemoryStore = field(default_factory=MemoryStore)

    @classmethod
    def with_log(
        cls,
        log: Log,
        *,
        http: Mapping[str, Mapping[str, Any]] | None = None,
        outages: Mapping[str, Sequence[Outage]] | None = None,
    ) -> MemoryServices:
        return cls(
            MemoryHttp(http or {}, log),
            MemoryOutages(outages or {}, log),
            MemoryTickets(log=log),
            MemoryStore(log),
        )

    def services(self) -> FlowServices:
        return FlowServices(
            http_lookup=self.http,
            outages=self.outages,
            tickets=self.tickets,
            surveys=self.store.survey,
            callbacks=self.store.callback,
            voicemail=self.store.voicemail,
            speech=text_speech,
        )
