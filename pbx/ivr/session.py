"""Per-call state of a running flow and the caller-interaction primitives nodes share."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .fields import LANGUAGES, render
from .logic import clock_variables
from .models import Flow, Retrying
from .path import Outcome, OutcomeKind
from .port import CallContext, CallPort, FlowServices
from .prompts import Prompt, ResolvedPrompt, message, resolve_prompts
from .registry import FlowSet

Failure = Literal["invalid", "timeout"]


@dataclass
class StepLog:
    """What happens during the current node, turned into a PathStep when it ends."""

    heard: list[ResolvedPrompt] = field(default_factory=list)
    digits: str = ""
    said: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Transition:
    """How a node ends: go to `next`, jump to another `flow`, or `end` the flow."""

    outcome: str
    next: str | None = None
    flow: str | None = None
    end: Outcome | None = None


@dataclass(frozen=True)
class Retry:
    """How a question is repeated after a wrong or missing answer."""

    retries: int
    timeout: float
    invalid_prompt: Sequence[Prompt] | None = None
    timeout_prompt: Sequence[Prompt] | None = None

    @classmethod
    def of(cls, node: Retrying) -> Retry:
        return cls(node.retries, node.timeout_seconds, node.invalid_prompt, node.timeout_prompt)

    def after(self, failure: Failure) -> Sequence[Prompt]:
        if failure == "invalid":
            return self.invalid_prompt or [message("invalid")]
        return self.timeout_prompt or [message("timeout")]


@dataclass(frozen=True)
class Choice:
    key: str | None
    """The valid key pressed, or None when every try failed."""
    failure: Failure | None = None
    """Why the last try failed."""


class Session:
    def __init__(
        self,
        flowset: FlowSet,
        flow: Flow,
        port: CallPort,
        call: CallContext,
        services: FlowServices,
    ) -> None:
        self.flowset = flowset
        self.flow = flow
        self.port = port
        self.call = call
        self.services = services
        self.variables: dict[str, str] = {
            **call.variables,
            "caller": call.caller,
            "dialled": call.dialled,
            "call_id": call.call_id,
            "language": call.language if call.language in LANGUAGES else flow.language,
        }
        self.typeahead: str | None = None
        self.step = StepLog()
        self.left: Outcome | None = None
        """A voicemail or callback left in this call (what the caller ends up with)."""

    # -- variables and prompts -------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.variables["language"]

    def set_language(self, language: str) -> None:
        if language in LANGUAGES:
            self.variables["language"] = language

    def ended(self) -> Outcome:
        """How the call ends when the flow hangs up: with any voicemail or callback left."""
        return self.left or Outcome(OutcomeKind.HANGUP)

    def enter(self, flow: Flow) -> None:
        self.flow = flow
        self.variables["flow"] = flow.name

    def env(self) -> dict[str, str]:
        """Variables plus the clock (`time`, `date`, `weekday` in the flow's time zone)."""
        return {**clock_variables(self.port.now(), self.flow.timezone), **self.variables}

    def render(self, template: str) -> str:
        return render(template, self.env())

    def resolve(self, prompts: Sequence[Prompt] | None) -> list[ResolvedPrompt]:
        if not prompts:
            return []
        return resolve_prompts(prompts, self.language, self.flow.language, self.env())

    # -- caller interaction ----------------------------------------------------------------

    def _pressed(self, keys: str) -> None:
        self.step.digits += keys

    async def play(
        self, prompts: Sequence[Prompt] | None, *, interruptible: bool = True
    ) -> str | None:
        """Play prompts; return a key that interrupted them (or one typed ahead)."""
        if interruptible and self.typeahead:
            key, self.typeahead = self.typeahead, None
            return key
        return await self.play_resolved(self.resolve(prompts), interruptible=interruptible)

    async def play_resolved(
        self, resolved: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        self.typeahead = None
        if not resolved:
            return None
        self.step.heard.extend(resolved)
        key = await self.port.play(resolved, interruptible=interruptible)
        if key:
            self._pressed(key)
        return key or None

    async def ask(
        self,
        prompts: Sequence[Prompt] | None,
        *,
        max_digits: int,
        timeout: float,
        terminator: str | None = None,
    ) -> str:
        """Play prompts and read up to `max_digits` keys; "" when nothing was pressed."""
        first = await self.play(prompts)
        if first is not None and first == terminator:
            return ""
        if first is not None and max_digits == 1:
            return first
        keys = await self.port.read_digits(max_digits, timeout, terminator, first_digit=first)
        self._pressed(keys[len(first or "") :])
        return keys

    async def choose(
        self, prompts: Sequence[Prompt], valid: Collection[str], retry: Retry
    ) -> Choice:
        """Ask for one key in `valid`, repeating the question up to `retry.retries` times."""
        failure: Failure = "timeout"
        for attempt in range(retry.retries + 1):
            key = await self.ask(prompts, max_digits=1, timeout=retry.timeout)
            if key and key in valid:
                return Choice(key)
            failure = "timeout" if key == "" else "invalid"
            self.step.notes.append("no key" if key == "" else f"invalid key {key}")
            if attempt < retry.retries:
                await self.play(retry.after(failure))
        return Choice(None, failure)

    async def collect(
        self,
        prompts: Sequence[Prompt],
        accept: Callable[[str], bool],
        retry: Retry,
        *,
        min_digits: int,
        max_digits: int,
        terminator: str | None,
    ) -> str | None:
        """Ask for several keys until `accept` says yes; None when every try failed."""
        for attempt in range(retry.retries + 1):
            keys = await self.ask(
                prompts, max_digits=max_digits, timeout=retry.timeout, terminator=terminator
            )
            if min_digits <= len(keys) <= max_digits and accept(keys):
                return keys
            self.step.notes.append("no input" if keys == "" else f"invalid input {keys}")
            if attempt < retry.retries:
                await self.play(retry.after("invalid" if keys else "timeout"))
        return None
