"""Finding tickets: words anywhere in a ticket or its thread, filters, sorting, pages,
and the same list exported as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.ticketing.conftest import Desk


async def _numbers(desk: Desk, client: httpx.AsyncClient | None = None, **params: Any) -> list[str]:
    page = await (client or desk.system).get("/api/tickets", params=params)
    assert page.status_code == 200, page.text
    return [t["number"] for t in page.json()["items"]]


async def test_search_finds_a_word_in_an_email_body(desk: Desk) -> None:
    leak = await desk.ticket(subject="Question about my bill")
    other = await desk.ticket(subject="Street light out", description="Lamp post 12 is dark")
    email = await desk.system.post(
        f"/api/tickets/{leak['number']}/entries",
        json={
            "kind": "email",
            "direction": "inbound",
            "body": "Hello, the radiator in the hallway is leaking onto the parquet floor.",
        },
    )
    assert email.status_code == 201
    assert await _numbers(desk, q="radiator") == [leak["number"]]
    assert await _numbers(desk, q="Radiator HALLWAY") == [leak["number"]]
    assert await _numbers(desk, q="leak") == [leak["number"]]  # words match as prefixes
    assert await _numbers(desk, q="lamp") == [other["number"]]  # the description counts
    assert await _numbers(desk, q="radiator lamp") == []  # every word must match
    # Query syntax is never passed through: operators are plain words, punctuation ignored.
    assert await _numbers(desk, q='leak" OR "lamp') == []
    assert await _numbers(desk, q='" * ( ^ -') == [other["number"], leak["number"]]


async def test_edits_merges_and_internal_notes_are_reflected_in_search(desk: Desk) -> None:
    _, as_customer = await desk.user("customer")
    ticket = await desk.ticket(as_customer, subject="Bench")
    await desk.system.post(
        f"/api/tickets/{ticket['number']}/entries",
        json={"kind": "note", "body": "vandalism suspected"},
    )
    assert await _numbers(desk, q="vandalism") == [ticket["number"]]
    assert await _numbers(desk, as_customer, q="vandalism") == []  # notes are internal
    await desk.system.patch(
        f"/api/tickets/{ticket['number']}", json={"version": 1, "subject": "Broken swing"}
    )
    assert await _numbers(desk, q="swing") == [ticket["number"]]
    assert await _numbers(desk, q="bench") == []
    kept = await desk.ticket(subject="Playground")
    await desk.system.post(
        f"/api/tickets/{kept['number']}/merge", json={"source": ticket["number"], "version": 1}
    )
    assert kept["number"] in await _numbers(desk, q="vandalism")


async def test_filters_combine_and_pages_follow_the_sort(desk: Desk) -> None:
    roads = await desk.organisation("Roads Ltd")
    team = (await desk.system.post("/api/teams", json={"name": "Streets"})).json()
    water = (await desk.system.post("/api/categories", json={"code": "W", "name": "Water"})).json()
    leak = (
        await desk.system.post(
            "/api/categories", json={"code": "L", "name": "Leak", "parent_id": water["id"]}
        )
    ).json()
    a = await desk.ticket(subject="a", priority="low", team_id=team["id"], channel="phone")
    b = await desk.ticket(subject="b", priority="urgent", category_id=leak["id"], tags=["vip"])
    c = await desk.ticket(subject="c", priority="high", organisation_id=roads["id"])
    d = await desk.ticket(subject="d", priority="urgent", status="open", channel="phone")

    assert await _numbers(desk, status="open") == [d["number"]]
    assert await _numbers(desk, status=["new", "open"], channel="phone") == [
        d["number"],
        a["number"],
    ]
    assert await _numbers(desk, team_id=team["id"]) == [a["number"]]
    assert await _numbers(desk, category_id=water["id"]) == [b["number"]]  # sub-categories too
    assert await _numbers(desk, organisation_id=roads["id"]) == [c["number"]]
    assert await _numbers(desk, tag="VIP") == [b["number"]]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert await _numbers(desk, created_from=tomorrow) == []
    assert len(await _numbers(desk, created_to=tomorrow)) == 4

    by_priority = await _numbers(desk, sort="-priority")
    assert by_priority == [d["number"], b["number"], c["number"], a["number"]]  # ties: newest
    pages, cursor = [], None
    while True:
        params = {"sort": "-priority", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await desk.system.get("/api/tickets", params=params)).json()
        pages.append([t["number"] for t in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [by_priority[:3], by_priority[3:]]
    oldest = (await desk.system.get("/api/tickets", params={"sort": "created", "limit": 2})).json()
    assert [t["number"] for t in oldest["items"]] == [a["number"], b["number"]]
    rest = await _numbers(desk, sort="created", cursor=oldest["next_cursor"])
    assert rest == [c["number"], d["number"]]
    bad = await desk.system.get("/api/tickets", params={"sort": "-updated", "cursor": "zzz"})
    assert bad.status_code == 422 and "invalid cursor" in bad.json()["detail"]


async def test_a_filtered_list_exports_as_csv_and_xlsx_with_category_codes(desk: Desk) -> None:
    agent, _ = await desk.user("agent", email="olli@example.org")
    water = (
        await desk.system.post("/api/categories", json={"code": "WATER", "name": "Water"})
    ).json()
    await desk.ticket(
        subject='=HYPERLINK("http://evil")',
        category_id=water["id"],
        assignee_ids=[agent["id"]],
        tags=["a", "b"],
    )
    await desk.ticket(subject="Not exported", status="open")

    exported = await desk.system.get("/api/tickets/export.csv", params={"status": "new"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["category_code"] == "WATER" and row["assignees"] == "olli@example.org"
    assert row["tags"] == "a b" and row["status"] == "new"
    assert row["subject"].startswith("'=")  # never a live formula in a spreadsheet

    workbook = await desk.system.get("/api/tickets/export.xlsx", params={"status": "new"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["number", "created_at", "status"]
    assert len(values) == 2 and values[1][values[0].index("category_code")] == "WATER"
