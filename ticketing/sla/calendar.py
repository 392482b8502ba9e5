"""Business time: opening hours in a time zone, minus holidays. Pure functions, no I/O.

Deadlines are "N business minutes after T": counted only inside opening hours, in the
calendar's own time zone (so daylight saving is handled by the zone), skipping holidays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketing.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_DAYS = 3 * 366  # a deadline further away than this means the calendar is wrong


def _parse(value: str) -> time | None:
    """HH:MM; 24:00 is the end of the day (None)."""
    if not _HHMM.match(value):
        raise InvalidInput(f"{value!r} is not a time of day (HH:MM)")
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    hours: Mapping[str, Sequence[tuple[str, str]]]  # "mon" -> [("08:00", "16:00"), ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from exc
        unknown = set(self.hours) - set(WEEKDAYS)
        if unknown:
            raise InvalidInput(f"unknown weekdays {sorted(unknown)}: use {', '.join(WEEKDAYS)}")
        for day, spans in self.hours.items():
            for start, end in spans:
                opens, closes = _parse(start), _parse(end)
                if opens is None or (closes is not None and closes <= opens):
                    raise InvalidInput(f"{day} {start}-{end}: a span must end after it starts")
        if not any(self.hours.get(d) for d in WEEKDAYS):
            raise InvalidInput("a calendar needs opening hours on at least one weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def spans(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The opening spans of a local day as UTC datetimes (none on holidays)."""
        if day in self.holidays:
            return
        zone = self.zone
        for start, end in self.hours.get(WEEKDAYS[day.weekday()], ()):
            opens = datetime.combine(day, _parse(start) or time(0), tzinfo=zone)
            closes_at = _parse(end)
            if closes_at is None:
                closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            else:
                closes = datetime.combine(day, closes_at, tzinfo=zone)
            yield opens.astimezone(UTC), closes.astimezone(UTC)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of business time after ``start``."""
        remaining = timedelta(minutes=minutes)
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            for opens, closes in self.spans(day):
                begin = max(opens, start)
                if begin >= closes:
                    continue
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise InvalidInput("the calendar has no opening hours within three years")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (0 when end is not later)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.spans(day):
                begin, finish = max(opens, start), min(closes, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 60
