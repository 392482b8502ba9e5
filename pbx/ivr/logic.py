"""Pure decisions used by the runner: branch conditions, business hours, clock variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .fields import WEEKDAYS, parse_time_range, render
from .models import Condition, HoursNode

HoursState = Literal["open", "closed", "holiday"]
_TRUE = {"true", "yes", "1", "on"}


def clock_variables(now: datetime, timezone: str) -> dict[str, str]:
    """`time` (HH:MM), `date` (YYYY-MM-DD) and `weekday` (mon..sun) in the flow's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    return {
        "time": local.strftime("%H:%M"),
        "date": local.date().isoformat(),
        "weekday": WEEKDAYS[local.weekday()],
    }


def hours_state(node: HoursNode, now: datetime, default_timezone: str) -> HoursState:
    local = now.astimezone(ZoneInfo(node.timezone or default_timezone))
    if local.date() in node.holidays:
        return "holiday"
    minute = local.hour * 60 + local.minute
    for time_range in node.week.get(WEEKDAYS[local.weekday()], []):  # type: ignore[call-overload]
        start, end = parse_time_range(time_range)
        if start <= minute < end:
            return "open"
    return "closed"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _expected(value: Any, variables: Mapping[str, str]) -> Any:
    return render(value, variables) if isinstance(value, str) else value


def _equal(actual: str, expected: Any) -> bool:
    if isinstance(expected, bool):
        return (actual.strip().lower() in _TRUE) == expected
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == expected
    return actual == expected


def _compare(actual: str, expected: Any, less: bool) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        number = _number(actual)
        if number is None:
            return False
        return number < expected if less else number > expected
    return actual < str(expected) if less else actual > str(expected)


def condition_holds(condition: Condition, variables: Mapping[str, str]) -> bool:
    """True when every test of the condition holds for its variable."""
    raw = variables.get(condition.var)
    if condition.is_set is not None and bool(raw) != condition.is_set:
        return False
    value = raw or ""
    checks: list[bool] = []
    if condition.equals is not None:
        checks.append(_equal(value, _expected(condition.equals, variables)))
    if condition.not_equals is not None:
        checks.append(not _equal(value, _expected(condition.not_equals, variables)))
    if condition.one_of is not None:
        checks.append(any(_equal(value, _expected(v, variables)) for v in condition.one_of))
    if condition.prefix is not None:
        checks.append(value.startswith(render(condition.prefix, variables)))
    if condition.matches is not None:
        checks.append(re.search(condition.matches, value) is not None)
    if condition.less_than is not None:
        checks.append(_compare(value, _expected(condition.less_than, variables), less=True))
    if condition.greater_than is not None:
        checks.append(_compare(value, _expected(condition.greater_than, variables), less=False))
    return all(checks)
