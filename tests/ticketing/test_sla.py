"""Service levels: deadlines in business time (hours, time zone, holidays), the clock
stopped while pending, overdue lists, extensions, and warnings and escalation that run
on time from stored jobs, also after a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from switchboard.db import Database
from switchboard.db_types import utcnow
from tests.ticketing.conftest import Desk
from ticketing.models import Ticket, TicketStatus
from ticketing.scheduler import Scheduler
from ticketing.sla.engine import refresh_deadlines, status_changed
from ticketing.sla.escalation import SlaEscalation

HKI = ZoneInfo("Europe/Helsinki")
OFFICE = {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def _policy(
    desk: Desk, hours: dict, timezone: str = "Europe/Helsinki", **policy: Any
) -> dict:
    calendar = await desk.system.post(
        "/api/calendars",
        json={
            "name": f"cal-{timezone}-{len(hours)}",
            "timezone": timezone,
            "hours": hours,
            "holidays": [
                {"day": "2026-12-24", "name": "Christmas Eve"},
                {"day": "2026-12-25", "name": "Christmas Day"},
            ],
        },
    )
    assert calendar.status_code == 201, calendar.text
    made = await desk.system.post(
        "/api/sla-policies",
        json={"name": "standard", "calendar_id": calendar.json()["id"], **policy},
    )
    assert made.status_code == 201, made.text
    result: dict = made.json()
    return result


async def _created_at(desk: Desk, number: str, when: datetime) -> None:
    """Pretend the ticket came in at ``when`` (the deadlines follow)."""
    async with desk.db.transaction() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
        ticket.created_at = when
        await refresh_deadlines(session, ticket)
        session.add(ticket)


async def _get(desk: Desk, number: str) -> dict:
    result: dict = (await desk.system.get(f"/api/tickets/{number}")).json()
    return result


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(HKI) if value else None


async def test_deadlines_count_business_hours_and_skip_weekends_and_holidays(desk: Desk) -> None:
    await _policy(desk, OFFICE, resolution_minutes=16 * 60, first_response_minutes=120)
    ticket = await desk.ticket()
    assert ticket["sla_policy_id"] is not None and ticket["resolution_due_at"] is not None
    # Wednesday 23 Dec 15:00: one office hour left, then Christmas and a weekend.
    await _created_at(desk, ticket["number"], datetime(2026, 12, 23, 15, 0, tzinfo=HKI))
    detail = await _get(desk, ticket["number"])
    assert _at(detail["first_response_due_at"]) == datetime(2026, 12, 28, 9, 0, tzinfo=HKI)
    # 1 h on the 23rd + 8 h on Mon 28th + 7 h on Tue 29th = 16 business hours.
    assert _at(detail["resolution_due_at"]) == datetime(2026, 12, 29, 15, 0, tzinfo=HKI)


async def test_the_most_specific_policy_applies(desk: Desk) -> None:
    await _policy(desk, OFFICE, resolution_minutes=16 * 60)
    calendar_id = (await desk.system.get("/api/calendars")).json()[0]["id"]
    water = (await desk.system.post("/api/categories", json={"code": "W", "name": "Water"})).json()
    leak = (
        await desk.system.post(
            "/api/categories", json={"code": "L", "name": "Leak", "parent_id": water["id"]}
        )
    ).json()
    urgent_water = await desk.system.post(
        "/api/sla-policies",
        json={
            "name": "urgent water",
            "calendar_id": calendar_id,
            "resolution_minutes": 60,
            "category_id": water["id"],
            "priority": "urgent",
        },
    )
    ticket = await desk.ticket(category_id=leak["id"], priority="urgent")
    assert ticket["sla_policy_id"] == urgent_water.json()["id"]
    calmer = await desk.system.patch(
        f"/api/tickets/{ticket['number']}", json={"version": 1, "priority": "normal"}
    )
    assert calmer.json()["sla_policy_id"] != urgent_water.json()["id"]


async def test_a_customer_s_own_policy_applies_to_its_people_s_tickets(desk: Desk) -> None:
    await _policy(desk, OFFICE, resolution_minutes=16 * 60)
    calendar_id = (await desk.system.get("/api/calendars")).json()[0]["id"]
    utility = await desk.organisation("Helen Oy")
    person = await desk.system.post(
        "/api/contacts", json={"display_name": "Aino", "organisation_id": utility["id"]}
    )
    assert person.status_code == 201, person.text
    not_an_organisation = await desk.system.post(
        "/api/sla-policies",
        json={
            "name": "contract",
            "calendar_id": calendar_id,
            "resolution_minutes": 240,
            "organisation_id": person.json()["id"],
        },
    )
    assert not_an_organisation.status_code == 422
    assert "organisation" in not_an_organisation.text
    contract = await desk.system.post(
        "/api/sla-policies",
        json={
            "name": "contract",
            "calendar_id": calendar_id,
            "resolution_minutes": 240,
            "organisation_id": utility["id"],
        },
    )
    assert contract.status_code == 201, contract.text
    assert contract.json()["organisation_id"] == utility["id"]
    theirs = await desk.ticket(contact_id=person.json()["id"])
    anyone = await desk.ticket()
    assert theirs["sla_policy_id"] == contract.json()["id"]
    assert anyone["sla_policy_id"] not in (None, contract.json()["id"])
    # the contract's 4 business hours, not the standard 16
    await _created_at(desk, theirs["number"], datetime(2026, 12, 21, 9, 0, tzinfo=HKI))
    detail = await _get(desk, theirs["number"])
    assert _at(detail["resolution_due_at"]) == datetime(2026, 12, 21, 13, 0, tzinfo=HKI)


async def test_pending_stops_the_clock_and_pushes_the_deadline(desk: Desk) -> None:
    await _policy(desk, OFFICE, resolution_minutes=16 * 60)
    ticket = await desk.ticket()
    number = ticket["number"]
    await _created_at(desk, number, datetime(2026, 11, 23, 9, 0, tzinfo=HKI))  # a Monday
    before = _at((await _get(desk, number))["resolution_due_at"])
    assert before == datetime(2026, 11, 25, 9, 0, tzinfo=HKI)
    async with desk.db.transaction() as session:
        row = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
        row.status = TicketStatus.PENDING
        await status_changed(
            session, row, TicketStatus.NEW, datetime(2026, 11, 23, 10, 0, tzinfo=HKI)
        )
        session.add(row)
    paused = await _get(desk, number)
    assert paused["sla_paused_at"] is not None
    async with desk.db.transaction() as session:
        row = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
        row.status = TicketStatus.OPEN
        # Back on Tuesday 10:00: Monday 10-16 and Tuesday 08-10, 8 business hours, paused.
        await status_changed(
            session, row, TicketStatus.PENDING, datetime(2026, 11, 24, 10, 0, tzinfo=HKI)
        )
        session.add(row)
    after = await _get(desk, number)
    assert after["sla_paused_at"] is None
    assert _at(after["resolution_due_at"]) == datetime(2026, 11, 26, 9, 0, tzinfo=HKI)


async def test_overdue_tickets_are_flagged_and_filtered(desk: Desk) -> None:
    await _policy(desk, ALWAYS, timezone="UTC", resolution_minutes=60)
    late = await desk.ticket(subject="late")
    on_time = await desk.ticket(subject="on time")
    await _created_at(desk, late["number"], utcnow() - timedelta(hours=2))
    listed = {
        t["number"]: t["overdue"] for t in (await desk.system.get("/api/tickets")).json()["items"]
    }
    assert listed == {late["number"]: True, on_time["number"]: False}
    overdue = (await desk.system.get("/api/tickets", params={"overdue": "true"})).json()["items"]
    assert [t["number"] for t in overdue] == [late["number"]]
    by_due = (await desk.system.get("/api/tickets", params={"sort": "due"})).json()["items"]
    assert [t["number"] for t in by_due] == [late["number"], on_time["number"]]
    await desk.system.post(
        f"/api/tickets/{late['number']}/status", json={"status": "resolved", "version": 1}
    )
    assert (await desk.system.get("/api/tickets", params={"overdue": "true"})).json()["items"] == []


async def test_a_warning_comes_before_and_escalation_at_the_breach(desk: Desk) -> None:
    escalation = (await desk.system.post("/api/teams", json={"name": "Escalations"})).json()
    await _policy(
        desk,
        ALWAYS,
        timezone="UTC",
        resolution_minutes=120,
        warn_before_minutes=30,
        raise_priority=True,
        escalate_team_id=escalation["id"],
    )
    ticket = await desk.ticket()
    number = ticket["number"]
    due = datetime.fromisoformat(ticket["resolution_due_at"])
    scheduler = desk.services.scheduler
    async with desk.bus.subscribe("ticket.*") as events:
        assert await scheduler.run_due(due - timedelta(minutes=31)) == 0
        assert await scheduler.run_due(due - timedelta(minutes=29)) == 1
        warned = await _get(desk, number)
        assert warned["entries"][-1]["body"].startswith("SLA warning: resolution is due at")
        assert warned["priority"] == "normal"
        assert await scheduler.run_due(due + timedelta(seconds=1)) == 1
        breached = await _get(desk, number)
        assert breached["priority"] == "high" and breached["team"]["name"] == "Escalations"
        assert breached["version"] == ticket["version"] + 1
        assert breached["entries"][-1]["body"] == (
            "SLA breached: the resolution deadline has passed. Priority raised to high. "
            "Handed to the escalation team."
        )
        assert await scheduler.run_due(due + timedelta(hours=1)) == 0  # once only
        topics = [(await anext(events)).topic for _ in range(2)]
    assert topics == ["ticket.sla_warning", "ticket.sla_breach"]
    audit = (await desk.system.get("/api/audit", params={"action": "ticket.sla_breach"})).json()
    assert audit["items"][0]["actor"] == "scheduler"


async def test_stored_jobs_run_after_a_restart(desk: Desk, fresh_database: str) -> None:
    await _policy(desk, ALWAYS, timezone="UTC", resolution_minutes=30, warn_before_minutes=0)
    ticket = await desk.ticket()
    due = datetime.fromisoformat(ticket["resolution_due_at"])
    restarted_db = Database(fresh_database)  # a new process: nothing kept in memory
    try:
        restarted = Scheduler(restarted_db, SlaEscalation(desk.bus).handlers())
        assert await restarted.run_due(due + timedelta(minutes=1)) == 2  # warning, breach
    finally:
        await restarted_db.close()
    assert (await _get(desk, ticket["number"]))["priority"] == "normal"  # no escalation set
    assert "SLA breached" in (await _get(desk, ticket["number"]))["entries"][-1]["body"]


async def test_resolved_and_pending_tickets_do_not_escalate(desk: Desk) -> None:
    await _policy(desk, ALWAYS, timezone="UTC", resolution_minutes=30, raise_priority=True)
    resolved = await desk.ticket()
    waiting = await desk.ticket()
    await desk.system.post(
        f"/api/tickets/{resolved['number']}/status", json={"status": "resolved", "version": 1}
    )
    await desk.system.post(
        f"/api/tickets/{waiting['number']}/status", json={"status": "pending", "version": 1}
    )
    later = utcnow() + timedelta(days=1)
    assert await desk.services.scheduler.run_due(later) == 0
    assert (await _get(desk, waiting["number"]))["priority"] == "normal"
    reopened = await desk.system.post(
        f"/api/tickets/{waiting['number']}/status", json={"status": "open", "version": 2}
    )
    assert reopened.json()["sla_paused_at"] is None
    assert await desk.services.scheduler.run_due(later) == 2  # the clock runs again


async def test_a_supervisor_approves_a_deadline_extension(desk: Desk) -> None:
    await _policy(desk, OFFICE, resolution_minutes=16 * 60)
    _, as_agent = await desk.user("agent")
    supervisor, as_supervisor = await desk.user("supervisor")
    ticket = await desk.ticket()
    number = ticket["number"]
    await _created_at(desk, number, datetime(2026, 11, 23, 9, 0, tzinfo=HKI))
    no_reason = await as_agent.post(
        f"/api/tickets/{number}/extensions", json={"minutes": 120, "reason": " "}
    )
    assert no_reason.status_code == 422
    asked = await as_agent.post(
        f"/api/tickets/{number}/extensions",
        json={"minutes": 120, "reason": "Waiting for a spare part"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    twice = await as_agent.post(
        f"/api/tickets/{number}/extensions", json={"minutes": 60, "reason": "more"}
    )
    assert twice.status_code == 409
    self_approved = await as_agent.post(f"/api/extensions/{asked.json()['id']}/approve")
    assert self_approved.status_code == 403
    approved = await as_supervisor.post(f"/api/extensions/{asked.json()['id']}/approve")
    assert approved.status_code == 200
    assert (
        approved.json()["status"] == "approved"
        and approved.json()["decided_by"] == supervisor["name"]
    )
    detail = await _get(desk, number)
    assert _at(detail["resolution_due_at"]) == datetime(2026, 11, 25, 11, 0, tzinfo=HKI)
    assert detail["entries"][-1]["body"].startswith("Deadline extended by 120 business minutes")
    again = await as_supervisor.post(f"/api/extensions/{asked.json()['id']}/reject")
    assert again.status_code == 409
    listed = (await as_agent.get(f"/api/tickets/{number}/extensions")).json()
    assert [e["status"] for e in listed] == ["approved"]
    await desk.system.post(
        f"/api/tickets/{number}/status", json={"status": "closed", "version": detail["version"]}
    )
    closed = await as_agent.post(
        f"/api/tickets/{number}/extensions", json={"minutes": 60, "reason": "late"}
    )
    assert closed.status_code == 409 and "no running deadline" in closed.json()["detail"]
