"""Custom fields per category: a supervisor defines them, tickets in the category carry
validated values (a clear 422 naming the field), the detail shows them and the list
filters on them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ticketing.conftest import Desk

WATER_FIELDS = [
    {"name": "meter_reading", "label": "Meter reading", "type": "number", "required": True},
    {"name": "noticed_on", "type": "date"},
]
LEAK_FIELDS = [
    {"name": "severity", "type": "choice", "choices": ["drip", "flood"], "required": True},
    {"name": "note", "type": "text"},
]


async def _categories(desk: Desk) -> tuple[int, int]:
    water = await desk.system.post("/api/categories", json={"code": "WATER", "name": "Water"})
    leak = await desk.system.post(
        "/api/categories", json={"code": "LEAK", "name": "Leak", "parent_id": water.json()["id"]}
    )
    for category, fields in ((water, WATER_FIELDS), (leak, LEAK_FIELDS)):
        put = await desk.system.put(f"/api/categories/{category.json()['id']}/fields", json=fields)
        assert put.status_code == 200, put.text
    return water.json()["id"], leak.json()["id"]


def _error(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    return detail


async def _create(desk: Desk, **fields: Any) -> httpx.Response:
    return await desk.system.post("/api/tickets", json={"subject": "Leak in the yard", **fields})


async def test_fields_are_inherited_validated_and_shown(desk: Desk) -> None:
    water, leak = await _categories(desk)
    listed = (await desk.system.get(f"/api/categories/{leak}/fields")).json()
    assert [(f["name"], f["category_id"]) for f in listed] == [
        ("meter_reading", water),
        ("noticed_on", water),
        ("severity", leak),
        ("note", leak),
    ]
    made = await _create(
        desk,
        category_id=leak,
        fields={"meter_reading": "1234.50", "noticed_on": "2026-11-20", "severity": "flood"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["fields"] == {
        "meter_reading": 1234.5,
        "noticed_on": "2026-11-20",
        "severity": "flood",
    }
    number = made.json()["number"]
    shown = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert shown["fields"]["meter_reading"] == 1234.5

    cases = [
        ({"severity": "drip"}, "field 'meter_reading' is required"),
        ({"meter_reading": "lots", "severity": "drip"}, "field 'meter_reading' (number)"),
        ({"meter_reading": 1, "severity": "huge"}, "'huge' is not one of drip, flood"),
        ({"meter_reading": 1, "severity": "drip", "noticed_on": "20.11.2026"}, "(date)"),
        ({"meter_reading": 1, "severity": "drip", "colour": "red"}, "field 'colour' is not"),
    ]
    for values, expected in cases:
        assert expected in _error(await _create(desk, category_id=leak, fields=values))
    assert "'severity' is not defined" in _error(
        await _create(desk, category_id=water, fields={"meter_reading": 1, "severity": "drip"})
    )
    rejected = await _create(desk, category_id=leak, fields={"meter_reading": True})
    assert rejected.status_code == 422  # a boolean is no number


async def test_changing_values_and_filtering_on_them(desk: Desk) -> None:
    _water, leak = await _categories(desk)
    first = await _create(desk, category_id=leak, fields={"meter_reading": 12, "severity": "drip"})
    second = await _create(
        desk, category_id=leak, fields={"meter_reading": 99, "severity": "flood"}
    )
    assert first.status_code == second.status_code == 201
    ticket = first.json()
    patched = await desk.system.patch(
        f"/api/tickets/{ticket['number']}",
        json={"version": ticket["version"], "fields": {"note": "behind the shed"}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["fields"] == {
        "meter_reading": 12,
        "severity": "drip",
        "note": "behind the shed",
    }
    removed = await desk.system.patch(
        f"/api/tickets/{ticket['number']}",
        json={"version": patched.json()["version"], "fields": {"severity": None}},
    )
    assert "field 'severity' is required" in _error(removed)

    async def numbers(*filters: str) -> list[str]:
        page = await desk.system.get("/api/tickets", params={"field": list(filters)})
        assert page.status_code == 200, page.text
        return [t["number"] for t in page.json()["items"]]

    assert await numbers("meter_reading=12.0") == [ticket["number"]]
    assert await numbers("severity=flood") == [second.json()["number"]]
    assert await numbers("severity=drip", "note=behind the shed") == [ticket["number"]]
    assert await numbers("severity=none") == []
    assert (await desk.system.get("/api/tickets", params={"field": "junk"})).status_code == 422


async def test_bad_definitions_are_refused(desk: Desk) -> None:
    _water, leak = await _categories(desk)
    cases = [
        ([{"name": "kind", "type": "choice"}], "needs non-empty choices"),
        ([{"name": "Bad Name", "type": "text"}], "must start with a lowercase letter"),
        ([{"name": "a", "type": "text"}, {"name": "a", "type": "date"}], "defined twice"),
        ([{"name": "meter_reading", "type": "text"}], "already defined by a parent"),
    ]
    for fields, expected in cases:
        response = await desk.system.put(f"/api/categories/{leak}/fields", json=fields)
        assert expected in _error(response)
    _, agent = await desk.user("agent")
    assert (await agent.put(f"/api/categories/{leak}/fields", json=[])).status_code == 403
    assert (await agent.get(f"/api/categories/{leak}/fields")).status_code == 200
