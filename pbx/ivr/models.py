"""The flow language: one pydantic model per node type and the `Flow` that holds them.

A flow is a flat `id -> node` map; every branch names another node id. Nodes that wait
for the caller (menus, digit collection, queues...) set `waits_for_caller`, which the
loop check uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .fields import (
    DIAL_PATTERN,
    URL_PATTERN,
    Digit,
    FlowName,
    IntOrTemplate,
    Language,
    NodeId,
    Regex,
    Scalar,
    Template,
    TimeRange,
    TimeZoneName,
    VarName,
    Weekday,
)
from .prompts import Prompts

Path = tuple[str | int, ...]

Seconds = Annotated[float, Field(gt=0, le=600)]
Retries = Annotated[int, Field(ge=0, le=9)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )


class BaseNode(_Model):
    type: str
    note: str | None = None
    """Free text for the people who edit the flow."""

    waits_for_caller: ClassVar[bool] = False
    branch_fields: ClassVar[tuple[str, ...]] = ("next",)

    def targets(self) -> Iterator[tuple[Path, str, str]]:
        """Every branch as (path within the node, target node id, label for messages)."""
        for name in self.branch_fields:
            target = getattr(self, name)
            if target is not None:
                yield (name,), target, name


class Retrying(_Model):
    timeout_seconds: Seconds = 5
    retries: Retries = 2
    """How many more times to ask after a wrong or missing answer."""
    invalid_prompt: Prompts | None = None
    timeout_prompt: Prompts | None = None


class PlayNode(BaseNode):
    type: Literal["play"]
    prompt: Prompts
    interruptible: bool = True
    """A key press skips the rest; the key is kept for the next menu."""
    next: str


class MenuNode(BaseNode, Retrying):
    type: Literal["menu"]
    prompt: Prompts
    options: Annotated[dict[Digit, str], Field(min_length=1)]
    invalid: str | None = None
    """Where to go when the last try was a wrong key (default: `next`)."""
    timeout: str | None = None
    """Where to go when the last try had no key at all (default: `next`)."""
    next: str | None = None
    """Where to go when all tries are used up."""

    waits_for_caller = True
    branch_fields = ("invalid", "timeout", "next")

    @model_validator(mode="after")
    def _has_exit(self) -> MenuNode:
        if self.next is None and (self.invalid is None or self.timeout is None):
            raise ValueError("a menu needs 'next' (or both 'invalid' and 'timeout')")
        return self

    def targets(self) -> Iterator[tuple[Path, str, str]]:
        for digit, target in self.options.items():
            yield ("options", digit), target, f"option '{digit}'"
        yield from super().targets()


class CollectNode(BaseNode, Retrying):
    type: Literal["collect"]
    prompt: Prompts
    variable: VarName
    min_digits: Annotated[int, Field(ge=1, le=64)] = 1
    max_digits: Annotated[int, Field(ge=1, le=64)] = 20
    terminator: Literal["#", "*"] | None = "#"
    pattern: Regex | None = None
    """A regular expression the whole input must match."""
    timeout_seconds: Seconds = 8
    next: str
    invalid: str
    """Where to go when all tries are used up."""

    waits_for_caller = True
    branch_fields = ("next", "invalid")

    @model_validator(mode="after")
    def _digit_range(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is larger than max_digits")
        return self


class Condition(_Model):
    """True when every test given holds for the variable `var`."""

    var: VarName
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    one_of: list[Scalar] | None = None
    prefix: str | None = None
    matches: Regex | None = None
    less_than: Scalar | None = None
    greater_than: Scalar | None = None
    is_set: bool | None = None
    goto: str

    @model_validator(mode="after")
    def _has_test(self) -> Condition:
        tests = (
            "equals",
            "not_equals",
            "one_of",
            "prefix",
            "matches",
            "less_than",
            "greater_than",
            "is_set",
        )
        if all(getattr(self, name) is None for name in tests):
            raise ValueError(f"a condition needs at least one test: {', '.join(tests)}")
        return self


class BranchNode(BaseNode):
    type: Literal["branch"]
    conditions: Annotated[list[Condition], Field(min_length=1)]
    """Checked in order; the first that holds wins."""
    else_: str = Field(alias="else")

    branch_fields = ()

    def targets(self) -> Iterator[tuple[Path, str, str]]:
        for index, condition in enumerate(self.conditions):
            yield ("conditions", index, "goto"), condition.goto, f"condition {index + 1}"
        yield ("else",), self.else_, "else"


def _holiday_map(value: Any) -> Any:
    return {day: "" for day in value} if isinstance(value, list) else value


class HoursNode(BaseNode):
    type: Literal["hours"]
    timezone: TimeZoneName | None = None
    """IANA time zone; defaults to the flow's."""
    week: dict[Weekday, list[TimeRange]]
    """Opening hours per weekday, e.g. `mon: ["08:00-16:00"]`; a missing day is closed."""
    holidays: Annotated[
        dict[date, str],
        BeforeValidator(_holiday_map, json_schema_input_type=list[date] | dict[date, str]),
    ] = Field(default_factory=dict)
    """Closed dates: a list, or a map date -> name."""
    open: str
    closed: str
    holiday: str | None = None
    """Where to go on a holiday (default: `closed`)."""

    branch_fields = ("open", "closed", "holiday")


class LanguageNode(BaseNode, Retrying):
    type: Literal["language"]
    prompt: Prompts
    options: Annotated[dict[Digit, Language], Field(min_length=1)]
    next: str

    waits_for_caller = True


class HttpLookupNode(BaseNode):
    type: Literal["http_lookup"]
    url: Annotated[Template, Field(pattern=URL_PATTERN)]
    method: Literal["GET", "POST"] = "GET"
    inputs: dict[str, Template] = Field(default_factory=dict)
    """Query parameters (GET) or JSON body fields (POST)."""
    outputs: dict[VarName, str] = Field(default_factory=dict)
    """Variable -> field of the JSON answer, dotted for nested fields (`account.status`)."""
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 3
    next: str
    fallback: str
    """Where to go when the lookup fails, times out or lacks a field."""

    branch_fields = ("next", "fallback")


class SetNode(BaseNode):
    type: Literal["set"]
    variables: Annotated[dict[VarName, Scalar], Field(min_length=1)]
    next: str


class QueueNode(BaseNode):
    type: Literal["queue"]
    queue: Template
    skills: list[Template] = Field(default_factory=list)
    """Skills this caller needs besides the queue's own: `name` (level 1) or `name=level`."""
    priority: IntOrTemplate = 0
    next: str | None = None
    """Where to go when the caller leaves the queue unanswered with no overflow queue to
    take them: its max wait passed, it was full, or nobody was logged in to serve it
    (default: hang up)."""

    waits_for_caller = True


class VoicemailNode(BaseNode):
    type: Literal["voicemail"]
    mailbox: Template = "general"
    prompt: Prompts | None = None
    beep: bool = True
    max_seconds: Annotated[int, Field(ge=1, le=600)] = 120
    silence_seconds: Annotated[int, Field(ge=1, le=60)] = 5
    variable: VarName | None = None
    """Store the saved message id in this variable."""
    next: str | None = None
    """Where to go after the message (default: hang up)."""

    waits_for_caller = True


class CallbackNode(BaseNode, Retrying):
    type: Literal["callback"]
    number: Template = "{caller}"
    """The number offered for confirmation."""
    queue: Template | None = None
    prompt: Prompts | None = None
    number_prompt: Prompts | None = None
    done_prompt: Prompts | None = None
    min_digits: Annotated[int, Field(ge=3, le=20)] = 5
    max_digits: Annotated[int, Field(ge=3, le=20)] = 15
    next: str
    failed: str | None = None
    """Where to go when no callback was booked (default: `next`)."""

    waits_for_caller = True
    branch_fields = ("next", "failed")


class TransferNode(BaseNode):
    type: Literal["transfer"]
    target: Annotated[Template, Field(pattern=DIAL_PATTERN)]
    """An extension (`2001`) or an external number (`+358401234567`)."""
    prompt: Prompts | None = None
    next: str | None = None
    """Where to go when the transfer fails (default: hang up)."""

    waits_for_caller = True


class SurveyQuestion(_Model):
    id: VarName
    prompt: Prompts


class SurveyNode(BaseNode, Retrying):
    type: Literal["survey"]
    survey: str
    prompt: Prompts | None = None
    questions: Annotated[list[SurveyQuestion], Field(min_length=1)]
    """Each answered with a key from 1 to 5."""
    done_prompt: Prompts | None = None
    retries: Retries = 1
    next: str

    waits_for_caller = True


class TicketNode(BaseNode):
    type: Literal["ticket"]
    action: Literal["create", "tag"] = "tag"
    category: Template
    fields: dict[str, Template] = Field(default_factory=dict)
    variable: VarName | None = None
    """Store the ticket number in this variable."""
    next: str
    failed: str | None = None
    """Where to go when the ticket service fails (default: `next`)."""

    branch_fields = ("next", "failed")


class OutagesNode(BaseNode):
    type: Literal["outages"]
    area: Template
    """Postcode or address to look up, e.g. `{postcode}`."""
    prompt: Prompts | None = None
    """Played before the list when there are outages."""
    none_prompt: Prompts | None = None
    found: str | None = None
    """Where to go when there are outages (default: `next`)."""
    next: str
    fallback: str | None = None
    """Where to go when the outage service fails (default: `next`)."""

    branch_fields = ("found", "next", "fallback")


class SpeechChoice(_Model):
    phrases: Annotated[list[str], Field(min_length=1)]
    goto: str


class SpeechNode(BaseNode):
    type: Literal["speech"]
    prompt: Prompts
    choices: Annotated[list[SpeechChoice], Field(min_length=1)]
    listen_seconds: Annotated[float, Field(gt=0, le=30)] = 5
    retries: Retries = 1
    nomatch_prompt: Prompts | None = None
    nomatch: str

    waits_for_caller = True
    branch_fields = ("nomatch",)

    def targets(self) -> Iterator[tuple[Path, str, str]]:
        for index, choice in enumerate(self.choices):
            yield ("choices", index, "goto"), choice.goto, f"choice {index + 1}"
        yield from super().targets()


class GotoFlowNode(BaseNode):
    type: Literal["goto_flow"]
    flow: FlowName

    branch_fields = ()


class HangupNode(BaseNode):
    type: Literal["hangup"]
    prompt: Prompts | None = None

    branch_fields = ()


Node = Annotated[
    PlayNode
    | MenuNode
    | CollectNode
    | BranchNode
    | HoursNode
    | LanguageNode
    | HttpLookupNode
    | SetNode
    | QueueNode
    | VoicemailNode
    | CallbackNode
    | TransferNode
    | SurveyNode
    | TicketNode
    | OutagesNode
    | SpeechNode
    | GotoFlowNode
    | HangupNode,
    Field(discriminator="type"),
]

NODE_TYPES: dict[str, type[BaseNode]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(get_args(Node)[0])
}
"""Node type name -> model, in the order of `Node`."""


class Flow(_Model):
    """One IVR flow file."""

    model_config = ConfigDict(title="Switchboard IVR flow")

    name: FlowName
    """Must equal the file name without `.yaml`."""
    description: str | None = None
    language: Language = "en"
    """Default language of the prompts, used when a prompt lacks the caller's language."""
    timezone: TimeZoneName = "UTC"
    start: str
    nodes: Annotated[dict[NodeId, Node], Field(min_length=1)]
