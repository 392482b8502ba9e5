"""A call placed to the system is answered by the controller, plays its prompt, and leaves
a call record, a contact and a ticket behind."""

from __future__ import annotations

import pytest

from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until

pytestmark = pytest.mark.usefixtures("no_channels_left")


def _calls(deployment: Deployment, dialled: str) -> list[dict]:
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 500}).json()["items"]
    return [c for c in items if c["dialled_number"] == dialled]


def test_twenty_calls_in_ten_seconds_are_answered_and_ticketed(
    deployment: Deployment, switchboard: SwitchboardProcess, sipp: Sipp
) -> None:
    callers = [(f"+35840{1000000 + i}", f"Caller {i}") for i in range(20)]
    result = sipp.run("caller.xml", callers=callers, dialled="0800100200", calls=20, rate=2)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr

    calls = wait_until(
        lambda: (found := _calls(deployment, "0800100200")) and len(found) == 20 and found,
        timeout=15,
        what="20 call records",
    )
    assert {c["caller_number"] for c in calls} == {number for number, _ in callers}
    for call in calls:
        assert call["disposition"] == "answered"
        assert call["answered_at"] is not None and call["ended_at"] is not None
        assert call["duration_seconds"] > 0.5  # the prompt was played through
        actions = [step["action"] for step in call["path"]]
        assert actions == ["answer", "play", "hangup"]
        assert call["path"][1]["media"] == ["sound:hello-world"]
        assert call["ticket_id"] is not None

    assert len({c["ticket_id"] for c in calls}) == 20
    for call in calls:
        detail = deployment.ticket(call["ticket_id"])
        assert detail["contact"]["identities"] == [
            {"kind": "phone", "value": call["caller_number"]}
        ]
        assert [e["kind"] for e in detail["entries"]] == ["call"]
        assert detail["entries"][0]["call_id"] == call["id"]


def test_a_returning_caller_is_recognised_by_a_national_number(
    deployment: Deployment, switchboard: SwitchboardProcess, sipp: Sipp
) -> None:
    # The same person calls once in international and once in national format.
    callers = [("+358501234567", "Aino"), ("0501234567", "Aino")]
    result = sipp.run("caller.xml", callers=callers, dialled="0800300400", calls=2, rate=1, limit=1)
    assert result.returncode == 0, result.stdout[-3000:]
    calls = wait_until(
        lambda: (found := _calls(deployment, "0800300400")) and len(found) == 2 and found,
        timeout=15,
        what="2 call records",
    )
    details = [deployment.ticket(c["ticket_id"]) for c in calls]
    assert details[0]["number"] != details[1]["number"]
    assert details[0]["contact"]["id"] == details[1]["contact"]["id"]
    assert details[0]["contact"]["identities"] == [{"kind": "phone", "value": "+358501234567"}]


def test_an_anonymous_call_still_gets_a_ticket(
    deployment: Deployment, switchboard: SwitchboardProcess, sipp: Sipp
) -> None:
    result = sipp.run("caller.xml", callers=[("anonymous", "")], dialled="0800500600", calls=1)
    assert result.returncode == 0, result.stdout[-3000:]
    (call,) = wait_until(lambda: _calls(deployment, "0800500600"), timeout=15, what="the record")
    detail = deployment.ticket(call["ticket_id"])
    assert detail["contact"] is None
    assert detail["subject"] == "Call from anonymous"


def test_the_api_refuses_requests_without_the_token(
    deployment: Deployment, switchboard: SwitchboardProcess
) -> None:
    with deployment.api() as api:
        missing = api.get("/api/calls", headers={"Authorization": ""})
        wrong = api.get("/api/tickets", headers={"Authorization": "Bearer nope"})
    assert missing.status_code == 401 and "missing API token" in missing.json()["detail"]
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API token"
