"""Exports carry the custom fields of the categories in the exported list: one column per
field, headed by the field's name, after the fixed columns, in both CSV and XLSX."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.ticketing.conftest import Desk
from ticketing.access.roles import SYSTEM
from ticketing.errors import InvalidInput
from ticketing.export import TicketExport
from ticketing.search import TicketFilter


async def _category(desk: Desk, code: str, fields: list[dict[str, object]], **extra: int) -> int:
    made = await desk.system.post("/api/categories", json={"code": code, "name": code, **extra})
    assert made.status_code == 201, made.text
    category: int = made.json()["id"]
    put = await desk.system.put(f"/api/categories/{category}/fields", json=fields)
    assert put.status_code == 200, put.text
    return category


async def test_exports_have_a_column_per_custom_field_of_the_categories_present(
    desk: Desk,
) -> None:
    water = await _category(desk, "WATER", [{"name": "meter_reading", "type": "number"}])
    leak = await _category(
        desk,
        "LEAK",
        [{"name": "severity", "type": "choice", "choices": ["drip", "=flood"]}],
        parent_id=water,
    )
    noise = await _category(desk, "NOISE", [{"name": "noticed_on", "type": "date"}])
    roads = await _category(desk, "ROADS", [{"name": "road_number", "type": "text"}])
    dripping = await desk.ticket(
        subject="Dripping tap", category_id=leak, fields={"meter_reading": 12.0, "severity": "drip"}
    )
    flooded = await desk.ticket(
        subject="Cellar", category_id=leak, fields={"severity": "=flood"}, status="open"
    )
    loud = await desk.ticket(
        subject="Loud pump", category_id=noise, fields={"noticed_on": "2026-11-20"}
    )
    plain = await desk.ticket(subject="No category")
    await desk.ticket(subject="Pothole", category_id=roads, status="open")

    exported = await desk.system.get("/api/tickets/export.csv", params={"status": "new"})
    assert exported.status_code == 200
    reader = csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))
    header = next(reader)
    # by category path (NOISE, WATER/LEAK), inherited fields first; not the roads' field
    assert header[-3:] == ["noticed_on", "meter_reading", "severity"]
    assert header[: header.index("noticed_on")][-1] == "closed_at"
    assert "road_number" not in header
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
    assert set(rows) == {dripping["number"], loud["number"], plain["number"]}
    assert (rows[dripping["number"]]["meter_reading"], rows[dripping["number"]]["severity"]) == (
        "12",
        "drip",
    )
    assert rows[dripping["number"]]["noticed_on"] == ""
    assert rows[loud["number"]]["noticed_on"] == "2026-11-20"
    assert rows[plain["number"]]["severity"] == rows[plain["number"]]["meter_reading"] == ""

    workbook = await desk.system.get("/api/tickets/export.xlsx", params={"category_id": water})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    head = values[0]
    assert "noticed_on" not in head and "road_number" not in head
    by_number = {row[0]: row for row in values[1:]}
    assert set(by_number) == {dripping["number"], flooded["number"]}
    assert by_number[flooded["number"]][head.index("severity")] == "'=flood"  # no formulas
    assert by_number[dripping["number"]][head.index("meter_reading")] == "12"


async def test_an_export_larger_than_the_limit_is_refused_not_cut_short(desk: Desk) -> None:
    for subject in ("First", "Second", "Third"):
        await desk.ticket(subject=subject)
    small = TicketExport(desk.db, desk.services.search, max_rows=2)
    with pytest.raises(InvalidInput, match="more than 2 tickets match: narrow the filters"):
        await small.csv(SYSTEM, TicketFilter())
    fits = await small.csv(SYSTEM, TicketFilter(q="second"))
    assert "Second" in fits.decode("utf-8-sig") and "Third" not in fits.decode("utf-8-sig")
