"""Automation: rules fire on events and on time; webhooks are signed, retried with
backoff, and logged."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from switchboard.db_types import utcnow
from tests.ticketing.conftest import Desk
from ticketing.automation.webhooks import MAX_ATTEMPTS, WebhookSender

WATER_RULE = {
    "name": "water emails",
    "event": "ticket.created",
    "conditions": [
        {"field": "channel", "op": "equals", "value": "email"},
        {"field": "text", "op": "contains", "value": ["leak", "flood"]},
    ],
    "actions": [
        {"action": "set_priority", "value": "urgent"},
        {"action": "add_tag", "value": "water"},
        {"action": "reply", "value": "Thank you, your case is {number}: {subject}"},
    ],
}


async def test_a_rule_fires_when_its_conditions_hold(desk: Desk) -> None:
    team = (await desk.system.post("/api/teams", json={"name": "Water works"})).json()
    rule = {
        **WATER_RULE,
        "actions": [*WATER_RULE["actions"], {"action": "assign_team", "value": team["id"]}],
    }
    made = await desk.system.post("/api/rules", json=rule)
    assert made.status_code == 201, made.text
    hit = await desk.ticket(subject="Basement flooding", channel="email")
    assert (hit["priority"], hit["tags"], hit["team"]["id"]) == ("urgent", ["water"], team["id"])
    assert hit["entries"][-1]["kind"] == "reply"
    assert (
        hit["entries"][-1]["body"] == f"Thank you, your case is {hit['number']}: Basement flooding"
    )
    assert hit["entries"][-1]["author_name"] == "automation"
    miss_channel = await desk.ticket(subject="Basement flooding", channel="phone")
    miss_words = await desk.ticket(subject="Noise", channel="email")
    for ticket in (miss_channel, miss_words):
        assert (ticket["priority"], ticket["tags"], ticket["entries"]) == ("normal", [], [])
    fired = (await desk.system.get("/api/audit", params={"action": "automation.rule"})).json()
    assert [(e["entity_id"], e["after"]["rule"]) for e in fired["items"]] == [
        (hit["number"], "water emails")
    ]


async def test_a_rule_fires_on_a_message_received(desk: Desk) -> None:
    await desk.system.post(
        "/api/rules",
        json={
            "name": "cancellations",
            "event": "entry.created",
            "conditions": [
                {"field": "direction", "value": "inbound"},
                {"field": "text", "op": "contains", "value": ["cancel"]},
            ],
            "actions": [{"action": "add_tag", "value": "cancellation"}],
        },
    )
    ticket = await desk.ticket()
    await desk.system.post(
        f"/api/tickets/{ticket['number']}/entries",
        json={"kind": "reply", "body": "You can cancel online"},
    )
    assert (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()["tags"] == []
    await desk.system.post(
        f"/api/tickets/{ticket['number']}/entries",
        json={"kind": "email", "direction": "inbound", "body": "Please CANCEL my order"},
    )
    assert (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()["tags"] == [
        "cancellation"
    ]


async def test_a_rule_fires_on_time_at_an_sla_breach(desk: Desk) -> None:
    calendar = await desk.system.post(
        "/api/calendars",
        json={
            "name": "24/7",
            "timezone": "UTC",
            "hours": {
                d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
    )
    await desk.system.post(
        "/api/sla-policies",
        json={"name": "fast", "calendar_id": calendar.json()["id"], "resolution_minutes": 30},
    )
    await desk.system.post(
        "/api/rules",
        json={
            "name": "breached",
            "event": "ticket.sla_breach",
            "actions": [
                {"action": "add_tag", "value": "breached"},
                {"action": "note", "value": "Call the customer"},
            ],
        },
    )
    ticket = await desk.ticket()
    await desk.services.scheduler.run_due(utcnow() + timedelta(hours=1))
    detail = (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()
    assert detail["tags"] == ["breached"]
    assert (
        detail["entries"][-1]["body"] == "Call the customer" and detail["entries"][-1]["internal"]
    )


async def test_broken_rules_are_refused_with_the_reason(desk: Desk) -> None:
    unknown = await desk.system.post("/api/rules", json={**WATER_RULE, "event": "ticket.exploded"})
    assert (
        unknown.status_code == 422 and "unknown event 'ticket.exploded'" in unknown.json()["detail"]
    )
    bad_action = await desk.system.post(
        "/api/rules", json={**WATER_RULE, "actions": [{"action": "delete_everything", "value": 1}]}
    )
    assert bad_action.status_code == 422 and bad_action.json()["detail"].startswith(
        "invalid rule: "
    )
    bad_priority = await desk.system.post(
        "/api/rules", json={**WATER_RULE, "actions": [{"action": "set_priority", "value": "asap"}]}
    )
    assert (
        bad_priority.status_code == 422
        and "set_priority takes one of" in bad_priority.json()["detail"]
    )


async def test_rules_export_as_yaml_and_import_back(desk: Desk) -> None:
    await desk.system.post("/api/rules", json=WATER_RULE)
    exported = await desk.system.get("/api/rules/export.yaml")
    document = yaml.safe_load(exported.text)
    assert [r["name"] for r in document["rules"]] == ["water emails"]
    assert document["rules"][0]["conditions"][1]["value"] == ["leak", "flood"]
    rule_id = (await desk.system.get("/api/rules")).json()[0]["id"]
    await desk.system.delete(f"/api/rules/{rule_id}")
    assert (await desk.system.get("/api/rules")).json() == []
    imported = await desk.system.post(
        "/api/rules/import.yaml",
        content=exported.text,
        headers={"Content-Type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    assert (await desk.system.get("/api/rules/export.yaml")).text == exported.text
    broken = await desk.system.post(
        "/api/rules/import.yaml",
        content="rules: [{name: x, event: nope, actions: []}]",
        headers={"Content-Type": "application/yaml"},
    )
    assert broken.status_code == 422


class Receiver:
    """An HTTP endpoint that records what it gets and answers with the next status."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        self.requests.append((dict(request.headers), await request.body()))
        status = self.statuses.pop(0) if self.statuses else 200
        await Response(status_code=status)(scope, receive, send)


async def _webhook(desk: Desk, events: list[str]) -> dict[str, Any]:
    made = await desk.system.post(
        "/api/webhooks",
        json={"name": "crm", "url": "https://crm.example.org/hook", "events": events},
    )
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def test_webhooks_are_signed_retried_with_backoff_and_logged(desk: Desk) -> None:
    hook = await _webhook(desk, ["ticket.created"])
    assert len(hook["secret"]) >= 32
    assert "secret" not in (await desk.system.get("/api/webhooks")).json()[0]
    receiver = Receiver([500, 200])
    sender = WebhookSender(desk.db, httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)))
    try:
        ticket = await desk.ticket(subject="Hello")
        await desk.system.post(
            f"/api/tickets/{ticket['number']}/status", json={"status": "open", "version": 1}
        )  # ticket.updated: not subscribed
        now = utcnow()
        assert await sender.run_due(now) == 1
        log = (await desk.system.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
        assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
            ("pending", 1, 500)
        ]
        retry_at = datetime.fromisoformat(log[0]["next_attempt_at"])
        assert timedelta(seconds=29) < retry_at - now <= timedelta(seconds=31)
        assert await sender.run_due(now + timedelta(seconds=10)) == 0  # not yet
        assert await sender.run_due(now + timedelta(seconds=31)) == 1
    finally:
        await sender.close()
    log = (await desk.system.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("delivered", 2, 200)
    ]
    headers, body = receiver.requests[-1]
    payload = json.loads(body)
    assert payload["event"] == "ticket.created" and payload["ticket"]["number"] == ticket["number"]
    assert headers["x-switchboard-event"] == "ticket.created"
    expected = hmac.new(
        hook["secret"].encode(),
        headers["x-switchboard-timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["x-switchboard-signature"] == f"sha256={expected}"


async def test_a_dead_receiver_is_given_up_on_and_internal_notes_never_leave(desk: Desk) -> None:
    hook = await _webhook(desk, ["entry.*"])
    receiver = Receiver([503] * MAX_ATTEMPTS)
    sender = WebhookSender(desk.db, httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)))
    ticket = await desk.ticket()
    await desk.system.post(
        f"/api/tickets/{ticket['number']}/entries", json={"kind": "note", "body": "secret remark"}
    )
    moment = utcnow()
    try:
        for _ in range(MAX_ATTEMPTS):
            moment += timedelta(days=1)
            assert await sender.run_due(moment) == 1
        assert await sender.run_due(moment + timedelta(days=30)) == 0
    finally:
        await sender.close()
    (delivery,) = (await desk.system.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
    assert (delivery["status"], delivery["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert delivery["last_error"] == "HTTP 503"
    assert all(b"secret remark" not in body for _, body in receiver.requests)
    assert "entry" not in delivery["payload"]
