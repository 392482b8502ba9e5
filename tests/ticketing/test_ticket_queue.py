"""The ACD queue a ticket waits in: set on registering or later, cleared, checked against
the ACD's queues, filtered on in the list, the search and the exports, and settable only
by those who may route tickets."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from pbx.acd.directory import AcdDirectory
from tests.ticketing.conftest import Desk


async def _numbers(desk: Desk, **params: object) -> list[str]:
    page = await desk.system.get("/api/tickets", params=params)
    assert page.status_code == 200, page.text
    return [t["number"] for t in page.json()["items"]]


async def test_a_ticket_is_queued_changed_cleared_and_filtered_by_queue(desk: Desk) -> None:
    acd = AcdDirectory(desk.db)
    await acd.add_queue("billing")
    await acd.add_queue("outages")
    team = (await desk.system.post("/api/teams", json={"name": "Back office"})).json()
    bill = await desk.ticket(subject="Invoice twice", queue="billing", team_id=team["id"])
    assert bill["queue"] == "billing" and bill["team"]["id"] == team["id"]
    dark = await desk.ticket(subject="Whole street dark")
    assert dark["queue"] is None

    moved = await desk.system.patch(
        f"/api/tickets/{dark['number']}", json={"version": 1, "queue": "outages"}
    )
    assert moved.status_code == 200 and moved.json()["queue"] == "outages"
    assert await _numbers(desk, queue="billing") == [bill["number"]]
    assert await _numbers(desk, queue="outages") == [dark["number"]]
    assert await _numbers(desk, queue="outages", q="street") == [dark["number"]]
    assert await _numbers(desk, queue="billing", q="street") == []
    assert await _numbers(desk, queue="nowhere") == []

    exported = await desk.system.get("/api/tickets/export.csv", params={"queue": "billing"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(r["number"], r["queue"], r["team"]) for r in rows] == [
        (bill["number"], "billing", "Back office")
    ]
    workbook = await desk.system.get("/api/tickets/export.xlsx", params={"queue": "outages"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][values[0].index("queue")] == "outages"

    cleared = await desk.system.patch(
        f"/api/tickets/{dark['number']}", json={"version": 2, "clear": ["queue"]}
    )
    assert cleared.status_code == 200 and cleared.json()["queue"] is None
    assert await _numbers(desk, queue="outages") == []


async def test_an_unknown_queue_is_refused_and_changes_nothing(desk: Desk) -> None:
    await AcdDirectory(desk.db).add_queue("billing")
    refused = await desk.system.post("/api/tickets", json={"subject": "x", "queue": "biling"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "queue 'biling' does not exist"
    assert await _numbers(desk) == []
    ticket = await desk.ticket(queue="billing")
    patch = await desk.system.patch(
        f"/api/tickets/{ticket['number']}", json={"version": 1, "queue": "gone"}
    )
    assert patch.status_code == 422 and "queue 'gone' does not exist" in patch.text
    again = (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()
    assert again["queue"] == "billing" and again["version"] == 1
    empty = await desk.system.post("/api/tickets", json={"subject": "x", "queue": ""})
    assert empty.status_code == 422


async def test_customers_cannot_queue_and_partners_see_only_their_queued_tickets(
    desk: Desk,
) -> None:
    await AcdDirectory(desk.db).add_queue("billing")
    _, customer = await desk.user("customer")
    refused = await customer.post("/api/tickets", json={"subject": "Help", "queue": "billing"})
    assert refused.status_code == 403
    roads = await desk.organisation("Roads Ltd")
    _, partner = await desk.user("partner", organisation_id=roads["id"])
    theirs = await desk.ticket(queue="billing", organisation_id=roads["id"])
    await desk.ticket(queue="billing")
    listed = (await partner.get("/api/tickets", params={"queue": "billing"})).json()
    assert [t["number"] for t in listed["items"]] == [theirs["number"]]
    _, agent = await desk.user("agent")
    moved = await agent.patch(
        f"/api/tickets/{theirs['number']}", json={"version": 1, "clear": ["queue"]}
    )
    assert moved.status_code == 200 and moved.json()["queue"] is None
