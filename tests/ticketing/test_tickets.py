"""Tickets: registering, classifying, assigning, the workflow and concurrent edits."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from pbx.models import Disposition
from tests.ticketing.conftest import Desk


async def _categories(desk: Desk) -> dict[str, int]:
    ids: dict[str, int] = {}
    for code, name, parent in [
        ("WATER", "Water supply", None),
        ("LEAK", "Leak", "WATER"),
        ("PIPE", "Broken pipe", "LEAK"),
    ]:
        made = await desk.system.post(
            "/api/categories",
            json={"code": code, "name": name, "parent_id": ids.get(parent or "")},
        )
        assert made.status_code == 201, made.text
        ids[code] = made.json()["id"]
    return ids


async def test_a_registered_ticket_shows_names_and_reports_codes(desk: Desk) -> None:
    categories = await _categories(desk)
    agent, _ = await desk.user("agent")
    team = (await desk.system.post("/api/teams", json={"name": "Water works"})).json()
    ticket = await desk.ticket(
        subject="Water in the basement",
        description="Since this morning",
        priority="high",
        category_id=categories["PIPE"],
        team_id=team["id"],
        assignee_ids=[agent["id"]],
        tags=["Flood", "basement"],
        addresses=[{"street": "Pihlajatie 3", "city": "Espoo"}],
        channel="phone",
    )
    assert re.fullmatch(rf"{datetime.now(UTC).year}-\d{{6}}", ticket["number"])
    assert ticket["status"] == "new" and ticket["version"] == 1
    assert ticket["category"] == {
        "id": categories["PIPE"],
        "path": "WATER/LEAK/PIPE",
        "names": ["Water supply", "Leak", "Broken pipe"],
    }
    assert ticket["team"] == {"id": team["id"], "name": "Water works"}
    assert ticket["assignee_ids"] == [agent["id"]]
    assert ticket["tags"] == ["basement", "flood"]
    assert ticket["addresses"][0]["street"] == "Pihlajatie 3"
    too_deep = await desk.system.post(
        "/api/categories", json={"code": "X", "name": "X", "parent_id": categories["PIPE"]}
    )
    assert too_deep.status_code == 422 and "has no children" in too_deep.json()["detail"]


async def test_the_status_workflow_allows_only_real_moves(desk: Desk) -> None:
    ticket = await desk.ticket()
    number, version = ticket["number"], ticket["version"]

    async def move(status: str) -> Any:
        nonlocal version
        response = await desk.system.post(
            f"/api/tickets/{number}/status", json={"status": status, "version": version}
        )
        if response.status_code == 200:
            version = response.json()["version"]
        return response

    for status in ("open", "pending", "open", "resolved"):
        moved = await move(status)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
    assert moved.json()["resolved_at"] is not None
    back = await move("pending")
    assert back.status_code == 409
    assert back.json()["detail"] == (
        "cannot move a ticket from resolved to pending; allowed: closed"
    )
    reopen_by_status = await move("open")
    assert reopen_by_status.status_code == 409 and "use reopen" in reopen_by_status.json()["detail"]
    assert (await move("closed")).json()["closed_at"] is not None
    final = await move("resolved")
    assert final.json()["detail"] == (
        "cannot move a ticket from closed to resolved; allowed: none (it is final)"
    )
    again = await move("closed")
    assert again.json()["detail"] == "the ticket is already closed"
    nonsense = await move("archived")
    assert nonsense.status_code == 422


async def test_a_customer_reopens_with_a_comment(desk: Desk) -> None:
    customer, as_customer = await desk.user("customer", email="maija@example.org")
    ticket = await desk.ticket(as_customer, subject="Pothole on my street")
    assert ticket["contact"]["identities"] == [{"kind": "email", "value": "maija@example.org"}]
    number = ticket["number"]
    resolved = await desk.system.post(
        f"/api/tickets/{number}/status", json={"status": "resolved", "version": ticket["version"]}
    )
    version = resolved.json()["version"]
    silent = await as_customer.post(
        f"/api/tickets/{number}/reopen", json={"comment": "", "version": version}
    )
    assert silent.status_code == 422
    reopened = await as_customer.post(
        f"/api/tickets/{number}/reopen", json={"comment": "Still a hole", "version": version}
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open" and reopened.json()["resolved_at"] is None
    detail = (await as_customer.get(f"/api/tickets/{number}")).json()
    last = detail["entries"][-1]
    assert (last["kind"], last["body"], last["author_user_id"]) == (
        "message",
        "Reopened: Still a hole",
        customer["id"],
    )
    not_closed = await as_customer.post(
        f"/api/tickets/{number}/reopen",
        json={"comment": "again", "version": reopened.json()["version"]},
    )
    assert not_closed.status_code == 409
    assert "only resolved or closed tickets can be reopened" in not_closed.json()["detail"]
    may_not_close = await as_customer.post(
        f"/api/tickets/{number}/status", json={"status": "closed", "version": 9}
    )
    assert may_not_close.status_code == 403


async def test_a_case_answered_on_the_spot_is_closed_at_registration(desk: Desk) -> None:
    ticket = await desk.ticket(subject="Opening hours?", status="closed", channel="phone")
    assert ticket["status"] == "closed"
    assert ticket["closed_at"] and ticket["resolved_at"] and ticket["first_response_at"]
    pending = await desk.system.post("/api/tickets", json={"subject": "x", "status": "pending"})
    assert pending.status_code == 422


async def test_a_stale_edit_is_refused_with_a_conflict(desk: Desk) -> None:
    ticket = await desk.ticket()
    number = ticket["number"]
    first = await desk.system.patch(
        f"/api/tickets/{number}", json={"version": 1, "priority": "urgent"}
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = await desk.system.patch(
        f"/api/tickets/{number}", json={"version": 1, "subject": "Overwritten?"}
    )
    assert stale.status_code == 409
    assert stale.json()["detail"] == (
        f"ticket {number} was changed by someone else since you loaded it (your version 1; "
        "it is now at version 2); reload it and apply your change again"
    )
    current = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert (current["subject"], current["priority"]) == ("Street light out", "urgent")

    racing = await asyncio.gather(
        *(
            desk.system.patch(f"/api/tickets/{number}", json={"version": 2, "subject": s})
            for s in ("A", "B", "C")
        )
    )
    assert sorted(r.status_code for r in racing) == [200, 409, 409]
    winner = next(r.json()["subject"] for r in racing if r.status_code == 200)
    assert (await desk.system.get(f"/api/tickets/{number}")).json()["subject"] == winner


async def test_several_people_work_a_ticket_and_it_can_be_reassigned(desk: Desk) -> None:
    first, _ = await desk.user("agent")
    second, _ = await desk.user("agent")
    third, _ = await desk.user("supervisor")
    customer, _ = await desk.user("customer")
    ticket = await desk.ticket(assignee_ids=[first["id"], second["id"]])
    assert ticket["assignee_ids"] == sorted([first["id"], second["id"]])
    moved = await desk.system.patch(
        f"/api/tickets/{ticket['number']}", json={"version": 1, "assignee_ids": [third["id"]]}
    )
    assert moved.json()["assignee_ids"] == [third["id"]]
    mine = await desk.system.get("/api/tickets", params={"assignee_id": third["id"]})
    assert [t["number"] for t in mine.json()["items"]] == [ticket["number"]]
    to_customer = await desk.system.patch(
        f"/api/tickets/{ticket['number']}", json={"version": 2, "assignee_ids": [customer["id"]]}
    )
    assert to_customer.status_code == 422 and "customers" in to_customer.json()["detail"]


async def test_internal_notes_are_never_shown_to_the_customer(desk: Desk) -> None:
    _, as_customer = await desk.user("customer")
    agent, as_agent = await desk.user("agent")
    ticket = await desk.ticket(as_customer, subject="Noise at night")
    number = ticket["number"]
    note = await as_agent.post(
        f"/api/tickets/{number}/entries", json={"kind": "note", "body": "Neighbour known to us"}
    )
    assert note.status_code == 201 and note.json()["internal"] is True
    reply = await as_agent.post(
        f"/api/tickets/{number}/entries", json={"kind": "reply", "body": "We will visit"}
    )
    assert reply.json()["direction"] == "outbound" and reply.json()["author_user_id"] == agent["id"]
    seen_by_customer = (await as_customer.get(f"/api/tickets/{number}/entries")).json()
    assert [e["body"] for e in seen_by_customer] == ["We will visit"]
    seen_by_agent = (await as_agent.get(f"/api/tickets/{number}")).json()
    assert [e["kind"] for e in seen_by_agent["entries"]] == ["note", "reply"]
    assert seen_by_agent["first_response_at"] is not None
    sneaky = await as_customer.post(
        f"/api/tickets/{number}/entries", json={"kind": "note", "body": "hi"}
    )
    assert sneaky.status_code == 403
    answer = await as_customer.post(
        f"/api/tickets/{number}/entries", json={"kind": "message", "body": "Thanks"}
    )
    assert answer.status_code == 201 and answer.json()["direction"] == "inbound"
    fake_call = await as_agent.post(
        f"/api/tickets/{number}/entries", json={"kind": "call", "body": "x"}
    )
    assert fake_call.status_code == 422


async def test_a_customer_answer_puts_a_pending_ticket_back_in_the_queue(desk: Desk) -> None:
    _, as_customer = await desk.user("customer")
    ticket = await desk.ticket(as_customer)
    await desk.system.post(
        f"/api/tickets/{ticket['number']}/status", json={"status": "pending", "version": 1}
    )
    await as_customer.post(
        f"/api/tickets/{ticket['number']}/entries", json={"kind": "message", "body": "Photo sent"}
    )
    assert (await as_customer.get(f"/api/tickets/{ticket['number']}")).json()["status"] == "open"


async def test_merging_tickets_moves_the_thread_and_closes_the_duplicate(desk: Desk) -> None:
    kept = await desk.ticket(subject="Broken bench", tags=["park"])
    dup = await desk.ticket(subject="Bench broken again", tags=["bench"])
    await desk.system.post(
        f"/api/tickets/{dup['number']}/entries", json={"kind": "email", "body": "Seen today"}
    )
    merged = await desk.system.post(
        f"/api/tickets/{kept['number']}/merge", json={"source": dup["number"], "version": 1}
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["tags"] == ["bench", "park"]
    assert [e["body"] for e in body["entries"]] == [
        "Seen today",
        f"Ticket {dup['number']} was merged into this one.",
    ]
    gone = (await desk.system.get(f"/api/tickets/{dup['number']}")).json()
    assert gone["status"] == "closed" and gone["merged_into"] == kept["number"]
    again = await desk.system.post(
        f"/api/tickets/{kept['number']}/merge",
        json={"source": dup["number"], "version": body["version"]},
    )
    assert again.status_code == 409


async def test_an_ended_call_still_files_its_ticket(desk: Desk) -> None:
    calls = desk.app.state.context.calls
    started = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    record_id = await calls.started(
        channel_id="chan-1",
        caller_number="0501234567",
        caller_name="Aino",
        dialled_number="0800100200",
        started_at=started,
    )
    record = await calls.ended(
        record_id,
        answered_at=started,
        ended_at=started.replace(second=30),
        disposition=Disposition.ANSWERED,
    )
    tickets = (await desk.system.get("/api/tickets")).json()["items"]
    (ticket,) = [t for t in tickets if t["id"] == record.ticket_id]
    detail = (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()
    assert detail["subject"] == "Call from +358501234567" and detail["channel"] == "phone"
    assert detail["contact"]["identities"] == [{"kind": "phone", "value": "+358501234567"}]
    assert [(e["kind"], e["call_id"]) for e in detail["entries"]] == [("call", record_id)]
