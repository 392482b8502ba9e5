"""Dialled number -> flow."""

from __future__ import annotations

from pbx.ivr.routes import RouteTable, route_key_problem

TABLE = RouteTable(
    {
        "0800123456": "exact",
        "_0800XXXXXX": "freephone",
        "_080012345X": "narrow",
        "_1XX": "short",
        "_1[0-4]X": "low_short",
        "_09.": "helsinki",
        "default": "fallback",
    }
)


def test_exact_number_wins() -> None:
    assert TABLE.resolve("0800123456") == "exact"


def test_most_specific_pattern_wins() -> None:
    assert TABLE.resolve("0800123457") == "narrow"
    assert TABLE.resolve("0800999999") == "freephone"
    assert TABLE.resolve("123") == "low_short"
    assert TABLE.resolve("199") == "short"


def test_dot_matches_one_or_more() -> None:
    assert TABLE.resolve("091234567") == "helsinki"
    assert TABLE.resolve("09") == "fallback"


def test_default_and_no_default() -> None:
    assert TABLE.resolve("+12025550123") == "fallback"
    assert RouteTable({"_1XX": "short"}).resolve("2000") is None


def test_route_keys_are_checked() -> None:
    assert route_key_problem("+358800123456") is None
    assert route_key_problem("_NXXXXXX") is None
    assert route_key_problem("_08OO") is not None
    assert route_key_problem("sales") is not None
