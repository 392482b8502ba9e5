"""Simulate a call through a flow: what the caller hears and where they end up.

The caller is a script: each entry of `keys` answers one question (a menu choice `1`, a
postcode `00100`, `-` for staying silent); once the script runs out the caller stays
silent. Speech nodes take the caller's words from `speech`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .memory import MemoryServices
from .path import PathStep, RunResult
from .port import CallContext, QueueResult, Recording
from .prompts import ResolvedPrompt
from .registry import FlowSet
from .runner import FlowRunner

SILENT = {"", "-"}


def parse_keys(script: str) -> list[str]:
    """`"1,2,00100#"` -> `["1", "2", "00100#"]`."""
    return [entry.strip() for entry in script.split(",")] if script.strip() else []


class ScriptedPort:
    """A `CallPort` that prints what happens and answers from a script."""

    def __init__(
        self,
        keys: Sequence[str],
        now: datetime,
        out: Callable[[str], None],
        *,
        speech: Sequence[str] = (),
        overflow: Collection[str] = (),
        message_seconds: float = 12.0,
    ) -> None:
        self._keys = deque(keys)
        self._speech = deque(speech)
        self._now = now
        self._out = out
        self._overflow = set(overflow)
        self._message_seconds = message_seconds
        self.hung_up = False

    def _wait(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    async def answer(self) -> None:
        return None

    async def play(
        self, prompts: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        for prompt in prompts:
            self._out(f"[hear] {prompt.describe()}")
        self._wait(len(prompts))
        return None

    async def read_digits(
        self,
        max_digits: int,
        timeout: float,
        terminator: str | None = None,
        first_digit: str | None = None,
    ) -> str:
        first = first_digit or ""
        entry = self._keys.popleft() if self._keys else "-"
        if entry in SILENT:
            self._out(f"[silence {timeout:g} s]")
            self._wait(timeout)
            return first
        keys = first + entry
        if terminator and terminator in keys:
            keys = keys[: keys.index(terminator)]
        elif len(keys) > max_digits:
            self._keys.appendleft(keys[max_digits:])
            keys = keys[:max_digits]
        self._out(f"[press] {keys}")
        self._wait(len(keys))
        return keys

    async def record(self, max_seconds: int, silence_seconds: int, beep: bool) -> Recording:
        seconds = min(self._message_seconds, max_seconds)
        self._out(("[beep] " if beep else "") + f"[caller leaves a {seconds:g} s message]")
        self._wait(seconds)
        return Recording("simulated-message", seconds)

    async def listen(self, seconds: float) -> bytes | None:
        if not self._speech:
            self._out(f"[silence {seconds:g} s]")
            self._wait(seconds)
            return None
        words = self._speech.popleft()
        self._out(f"[say] {words}")
        return words.encode()

    async def transfer(self, target: str) -> bool:
        self._out(f"[transfer] {target}")
        return True

    async def enqueue(self, queue: str, skills: Sequence[str], priority: int) -> QueueResult:
        full = queue in self._overflow
        shown = f" skills {', '.join(skills)}" if skills else ""
        self._out(f"[queue] {queue} priority {priority}{shown}" + (" -> full" if full else ""))
        return QueueResult.OVERFLOW if full else QueueResult.CONNECTED

    async def hangup(self) -> None:
        self.hung_up = True
        self._out("[hangup]")

    def now(self) -> datetime:
        return self._now


@dataclass
class Simulation:
    result: RunResult
    lines: list[str] = field(default_factory=list)
    services: MemoryServices = field(default_factory=MemoryServices)

    @property
    def heard(self) -> list[ResolvedPrompt]:
        return [prompt for step in self.result.path for prompt in step.heard]

    @property
    def nodes(self) -> list[str]:
        return [step.node for step in self.result.path]


def resolve_target(flowset: FlowSet, target: str) -> tuple[str, str]:
    """(flow name, dialled number) for a flow name or a dialled number."""
    if target in flowset.flows:
        return target, target
    flow = flowset.routes.resolve(target)
    if flow is None:
        raise LookupError(f"'{target}' is neither a flow nor a routed number")
    return flow, target


async def simulate(
    flowset: FlowSet,
    target: str,
    *,
    caller: str = "+358401234567",
    keys: Sequence[str] = (),
    speech: Sequence[str] = (),
    at: datetime | None = None,
    language: str | None = None,
    variables: Mapping[str, str] | None = None,
    services: MemoryServices | None = None,
    overflow: Collection[str] = (),
    out: Callable[[str], None] | None = None,
) -> Simulation:
    """Run `target` (a flow name or a dialled number) with a scripted caller.

    A naive `at` is read in the flow's time zone.
    """
    lines: list[str] = []

    def emit(line: str) -> None:
        lines.append(line)
        if out is not None:
            out(line)

    flow_name, dialled = resolve_target(flowset, target)
    flow = flowset.flow(flow_name)
    zone = ZoneInfo(flow.timezone)
    now = at or datetime.now(zone)
    now = now.replace(tzinfo=zone) if now.tzinfo is None else now
    services = services or MemoryServices.with_log(emit)
    port = ScriptedPort(keys, now, emit, speech=speech, overflow=overflow)
    context = CallContext("simulated", caller, dialled, dict(variables or {}), language)

    def on_step(step: PathStep) -> None:
        emit(f"  · {step.describe()}")

    runner = FlowRunner(flowset, port, context, services.services(), on_step=on_step)
    result = await runner.run(flow_name)
    emit(f"-> {result.outcome.describe()}")
    return Simulation(result, lines, services)
