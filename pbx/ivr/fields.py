"""Field types shared by the flow models: names, languages, texts and `{var}` templates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, PlainValidator, StringConstraints

Language = Literal["en", "fi", "sv", "uk"]
LANGUAGES: tuple[str, ...] = get_args(Language)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
FLOW_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$"
VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
DIGIT_PATTERN = r"^[0-9*#]$"
URL_PATTERN = r"^https?://"
DIAL_PATTERN = r"^(\+?[0-9*#]+|\{[A-Za-z_][A-Za-z0-9_]*\})$"

NodeId = Annotated[str, StringConstraints(pattern=NODE_ID_PATTERN)]
FlowName = Annotated[str, StringConstraints(pattern=FLOW_NAME_PATTERN)]
VarName = Annotated[str, StringConstraints(pattern=VAR_NAME_PATTERN)]
Digit = Annotated[str, StringConstraints(pattern=DIGIT_PATTERN)]

PATTERN_HINTS: dict[str, str] = {
    NODE_ID_PATTERN: "a node id (letters, digits, '_' and '-', starting with a letter)",
    FLOW_NAME_PATTERN: "a flow name (letters, digits, '_' and '-')",
    VAR_NAME_PATTERN: "a variable name (letters, digits and '_', starting with a letter)",
    DIGIT_PATTERN: "a single key: 0-9, * or #",
    URL_PATTERN: "a web address starting with http:// or https://",
    DIAL_PATTERN: "an extension, a number like +358401234567, or one '{variable}'",
}
"""Plain-language meaning of each pattern, for error messages."""


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def template_variables(template: str) -> list[str]:
    """Names used as `{name}` in a template; raises ValueError on broken braces."""
    names: list[str] = []
    for match in _PLACEHOLDER.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise ValueError(
                f"unmatched '{token}' in {template!r} (write '{token * 2}' for a brace)"
            )
        if not _VAR_NAME.match(name):
            raise ValueError(f"'{{{name}}}' in {template!r} is not a variable name")
        names.append(name)
    return names


def render(template: str, variables: Mapping[str, str]) -> str:
    """Replace each `{name}` by its variable; unknown variables become empty text."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None:
            return token
        return variables.get(name, "")

    return _PLACEHOLDER.sub(substitute, template)


def _check_template(value: str) -> str:
    template_variables(value)
    return value


Template = Annotated[str, AfterValidator(_check_template)]


def _check_text(value: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        _check_template(value)
        return value
    if isinstance(value, Mapping) and value:
        for key, text in value.items():
            if key not in LANGUAGES:
                raise ValueError(f"unknown language {key!r} (use {', '.join(LANGUAGES)})")
            if not isinstance(text, str):
                raise ValueError(f"the {key} text must be a string")
            _check_template(text)
        return dict(value)
    raise ValueError("must be a text or a map of language -> text (en, fi, sv, uk)")


Text = Annotated[
    str | dict[Language, str],
    PlainValidator(_check_text, json_schema_input_type=str | dict[Language, str]),
]
"""A text in the call's language, or per-language variants `{en: ..., fi: ...}`."""


def _check_scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str):
        _check_template(value)
        return value
    if isinstance(value, bool | int | float):
        return value
    raise ValueError("must be a single text, number or true/false")


Scalar = Annotated[
    str | int | float | bool,
    PlainValidator(_check_scalar, json_schema_input_type=str | int | float | bool),
]


def _check_int_or_template(value: Any) -> int | str:
    if isinstance(value, bool):
        raise ValueError("must be a whole number or a '{variable}' template")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and template_variables(value):
        return value
    raise ValueError("must be a whole number or a '{variable}' template")


IntOrTemplate = Annotated[
    int | str,
    PlainValidator(_check_int_or_template, json_schema_input_type=int | str),
]


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Helsinki)"
        ) from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_time_range(value: str) -> tuple[int, int]:
    """'08:00-16:00' -> (480, 960) minutes after midnight; end may be 24:00."""
    match = _RANGE.match(value.replace(" ", ""))
    if not match:
        raise ValueError(f"{value!r} is not a time range like '08:00-16:00'")
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    if end > 24 * 60 or end <= start:
        raise ValueError(f"time range {value!r} must end after it starts")
    return start, end


def _check_time_range(value: str) -> str:
    parse_time_range(value)
    return value


TimeRange = Annotated[str, AfterValidator(_check_time_range)]
