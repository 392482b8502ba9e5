"""The routing table (`routes.yaml`): dialled number -> flow name.

Keys are exact numbers (`0800123456`, `+358800123456`), Asterisk-style patterns
(`_0800XXXX`, `_1XX`, `_09.`) or `default`. An exact number wins over patterns; among
patterns the most specific one wins, as in an Asterisk dialplan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT = "default"

_EXACT = re.compile(r"^\+?[0-9*#]+$")
_PATTERN = re.compile(r"^_(?:[0-9*#+XxZzNn.!]|\[[0-9-]+\])+$")
_CLASSES = {"X": ("[0-9]", 10), "Z": ("[1-9]", 9), "N": ("[2-9]", 8)}


@dataclass(frozen=True)
class Route:
    key: str
    flow: str
    regex: re.Pattern[str] | None
    rank: tuple[int, ...]


def _compile(pattern: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """An Asterisk pattern as a regex plus its rank (smaller = more specific)."""
    parts: list[str] = []
    rank: list[int] = []
    body = pattern[1:]
    i = 0
    while i < len(body):
        char = body[i]
        upper = char.upper()
        if upper in _CLASSES:
            regex, size = _CLASSES[upper]
        elif char == "[":
            end = body.index("]", i)
            chars = body[i + 1 : end]
            members = set()
            for match in re.finditer(r"(\d)-(\d)|(\d)", chars):
                if match.group(3):
                    members.add(match.group(3))
                else:
                    members.update(
                        str(d) for d in range(int(match.group(1)), int(match.group(2)) + 1)
                    )
            regex, size = "[" + "".join(sorted(members)) + "]", max(len(members), 1)
            i = end
        elif char == ".":
            regex, size = ".+", 11
        elif char == "!":
            regex, size = ".*", 12
        else:
            regex, size = re.escape(char), 1
        parts.append(regex)
        rank.append(size)
        i += 1
    return re.compile("^" + "".join(parts) + "$"), tuple(rank)


def route_key_problem(key: str) -> str | None:
    """Why `key` is not a valid route key, or None."""
    if key == DEFAULT or _EXACT.match(key) or _PATTERN.match(key):
        return None
    return f"route {key!r} is not a number, an Asterisk pattern like '_0800XXXX' or 'default'"


class RouteTable:
    """Resolve a dialled number to a flow name."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        self._exact: dict[str, str] = {}
        self._patterns: list[Route] = []
        self._default: str | None = None
        for key, flow in routes.items():
            if key == DEFAULT:
                self._default = flow
            elif key.startswith("_"):
                regex, rank = _compile(key)
                self._patterns.append(Route(key, flow, regex, rank))
            else:
                self._exact[key] = flow
        self._patterns.sort(key=lambda route: route.rank)

    @property
    def default(self) -> str | None:
        return self._default

    def resolve(self, dialled: str) -> str | None:
        """The flow for `dialled`: exact number, else best pattern, else `default`."""
        number = dialled.strip()
        if number in self._exact:
            return self._exact[number]
        for route in self._patterns:
            if route.regex is not None and route.regex.match(number):
                return route.flow
        return self._default

    def items(self) -> Iterator[tuple[str, str]]:
        yield from self._exact.items()
        for route in self._patterns:
            yield route.key, route.flow
        if self._default is not None:
            yield DEFAULT, self._default


def parse_routes(data: Any) -> tuple[RouteTable, list[tuple[tuple[str, ...], str, bool]]]:
    """Build the table from loaded YAML; problems are (path, message, at_key)."""
    problems: list[tuple[tuple[str, ...], str, bool]] = []
    if data is None:
        return RouteTable({}), problems
    if not isinstance(data, dict):
        problems.append(((), "routes.yaml must map dialled numbers to flow names", False))
        return RouteTable({}), problems
    good: dict[str, str] = {}
    for key, flow in data.items():
        problem = route_key_problem(key)
        if problem:
            problems.append(((key,), problem, True))
        elif not isinstance(flow, str) or not flow:
            problems.append(((key,), f"route {key!r} must name a flow", False))
        else:
            good[key] = flow
    return RouteTable(good), problems
