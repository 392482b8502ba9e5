"""Business time: opening hours in a time zone, weekends and holidays skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ticketing.errors import InvalidInput
from ticketing.sla.calendar import BusinessCalendar

WEEKDAYS_8_16 = {d: [("08:00", "16:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
HELSINKI = BusinessCalendar(
    "Europe/Helsinki", WEEKDAYS_8_16, frozenset({date(2026, 12, 24), date(2026, 12, 25)})
)


def _hki(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Helsinki"))  # type: ignore[misc]


def test_minutes_inside_the_same_day() -> None:
    assert HELSINKI.add(_hki(2026, 11, 23, 9, 0), 120) == _hki(2026, 11, 23, 11, 0)


def test_time_after_closing_carries_over_to_the_next_morning() -> None:
    assert HELSINKI.add(_hki(2026, 11, 23, 15, 0), 120) == _hki(2026, 11, 24, 9, 0)
    assert HELSINKI.add(_hki(2026, 11, 23, 20, 0), 60) == _hki(2026, 11, 24, 9, 0)


def test_weekends_are_skipped() -> None:
    friday_afternoon = _hki(2026, 11, 27, 15, 30)
    assert HELSINKI.add(friday_afternoon, 60) == _hki(2026, 11, 30, 8, 30)
    saturday = _hki(2026, 11, 28, 12, 0)
    assert HELSINKI.add(saturday, 8 * 60) == _hki(2026, 11, 30, 16, 0)


def test_holidays_are_skipped() -> None:
    # Wed 23 Dec 15:00 + 2 h: 1 h on the 23rd, Christmas Eve and Day are holidays,
    # 26-27 Dec is a weekend: the second hour is Monday 28 Dec 08:00-09:00.
    assert HELSINKI.add(_hki(2026, 12, 23, 15, 0), 120) == _hki(2026, 12, 28, 9, 0)


def test_the_time_zone_decides_what_opening_hours_mean() -> None:
    start = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 07:00 in Helsinki (UTC+2)
    assert HELSINKI.add(start, 30) == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 08:00 in Helsinki (UTC+3)
    assert HELSINKI.add(summer, 30) == datetime(2026, 6, 1, 5, 30, tzinfo=UTC)


def test_business_minutes_between_two_moments() -> None:
    assert HELSINKI.minutes_between(_hki(2026, 11, 27, 15, 0), _hki(2026, 11, 30, 9, 0)) == 120
    assert HELSINKI.minutes_between(_hki(2026, 11, 28, 9, 0), _hki(2026, 11, 29, 18, 0)) == 0
    assert HELSINKI.minutes_between(_hki(2026, 11, 30, 9, 0), _hki(2026, 11, 27, 9, 0)) == 0


def test_round_the_clock_calendars_and_split_days() -> None:
    always = BusinessCalendar(
        "UTC", {d: [("00:00", "24:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    start = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert always.add(start, 180) == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    lunch = BusinessCalendar("UTC", {"mon": [("08:00", "12:00"), ("13:00", "17:00")]})
    assert lunch.add(datetime(2026, 11, 23, 11, 0, tzinfo=UTC), 120) == datetime(
        2026, 11, 23, 14, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("timezone", "hours", "message"),
    [
        ("Mars/Olympus", WEEKDAYS_8_16, "unknown time zone"),
        ("UTC", {"monday": [("08:00", "16:00")]}, "unknown weekdays"),
        ("UTC", {"mon": [("16:00", "08:00")]}, "must end after it starts"),
        ("UTC", {"mon": [("8", "16:00")]}, "is not a time of day"),
        ("UTC", {}, "at least one weekday"),
    ],
)
def test_a_broken_calendar_is_refused(timezone: str, hours: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        BusinessCalendar(timezone, hours)
