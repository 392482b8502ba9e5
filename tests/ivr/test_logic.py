"""Branch conditions and business hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pbx.ivr.logic import clock_variables, condition_holds, hours_state
from pbx.ivr.models import Condition, HoursNode

HELSINKI = ZoneInfo("Europe/Helsinki")

HOURS = HoursNode.model_validate(
    {
        "type": "hours",
        "timezone": "Europe/Helsinki",
        "week": {"mon": ["08:00-16:00"], "sat": ["10:00-12:00", "13:00-14:00"]},
        "holidays": ["2026-12-24"],
        "open": "o",
        "closed": "c",
    }
)


def cond(**tests: object) -> Condition:
    return Condition.model_validate({"var": "x", "goto": "n", **tests})


def test_hours_open_closed_and_holiday() -> None:
    monday = datetime(2026, 12, 21, 8, 0, tzinfo=HELSINKI)
    assert hours_state(HOURS, monday, "UTC") == "open"
    assert hours_state(HOURS, monday.replace(hour=16), "UTC") == "closed"
    assert hours_state(HOURS, monday.replace(hour=7, minute=59), "UTC") == "closed"
    assert hours_state(HOURS, datetime(2026, 12, 26, 12, 30, tzinfo=HELSINKI), "UTC") == "closed"
    assert hours_state(HOURS, datetime(2026, 12, 26, 13, 30, tzinfo=HELSINKI), "UTC") == "open"
    assert hours_state(HOURS, datetime(2026, 12, 24, 10, 0, tzinfo=HELSINKI), "UTC") == "holiday"


def test_hours_use_the_configured_time_zone() -> None:
    # 06:30 UTC on a Monday in winter is 08:30 in Helsinki.
    assert hours_state(HOURS, datetime(2026, 12, 21, 6, 30, tzinfo=UTC), "UTC") == "open"


def test_holidays_may_be_a_map_of_names() -> None:
    node = HOURS.model_copy(update={"holidays": {}})
    named = HoursNode.model_validate({**node.model_dump(), "holidays": {"2026-12-25": "Joulu"}})
    day = datetime(2026, 12, 25, 10, tzinfo=HELSINKI)
    assert hours_state(named, day, "UTC") == "holiday"


def test_clock_variables() -> None:
    now = datetime(2026, 12, 24, 18, 5, tzinfo=UTC)
    assert clock_variables(now, "Europe/Helsinki") == {
        "time": "20:05",
        "date": "2026-12-24",
        "weekday": "thu",
    }


def test_conditions() -> None:
    assert condition_holds(cond(equals="a"), {"x": "a"})
    assert not condition_holds(cond(equals="a"), {"x": "b"})
    assert condition_holds(cond(equals=5), {"x": "5.0"})
    assert condition_holds(cond(equals=True), {"x": "yes"})
    assert condition_holds(cond(not_equals="a"), {})
    assert condition_holds(cond(one_of=["a", "b"]), {"x": "b"})
    assert condition_holds(cond(prefix="+358"), {"x": "+358401234567"})
    assert condition_holds(cond(matches="^04"), {"x": "0401234567"})
    assert condition_holds(cond(less_than=10), {"x": "9"})
    assert not condition_holds(cond(less_than=10), {"x": "ten"})
    assert condition_holds(cond(greater_than="16:00"), {"x": "20:00"})
    assert condition_holds(cond(is_set=False), {"x": ""})
    assert condition_holds(cond(equals="{y}"), {"x": "same", "y": "same"})


def test_all_tests_of_a_condition_must_hold() -> None:
    both = cond(prefix="+358", not_equals="+358401234567")
    assert condition_holds(both, {"x": "+358501234567"})
    assert not condition_holds(both, {"x": "+358401234567"})
