"""What a waiting caller hears and where the IVR's queue node sends them: position and
estimated-wait announcements while two SIPp callers wait, a flow's skills and its `next`
reaching the ACD, and a queue that is full or that nobody serves sending callers on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pbx.acd.announcements import DEFAULT_HANDLING_SECONDS
from tests.acd.acd_setup import events, finished, phones, provision, queue_log
from tests.harness import ROOT, Deployment, Sipp, SwitchboardProcess, running, wait_until
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

QUEUES: dict[str, dict[str, Any]] = {
    "announce": {"announce_every_seconds": 5},
    "nordic": {"wrapup_seconds": 1, "max_wait_seconds": 4},
    "small": {"max_callers": 1, "leave_when_empty": True},
}
AGENTS: dict[str, dict[str, Any]] = {
    "3611": {"queues": ["nordic"], "skills": {"sv": 2}},
    "3612": {"queues": ["nordic"], "skills": {"sv": 6}},
    "3613": {"queues": ["small"]},
}


@pytest.fixture(scope="module")
def passwords(deployment: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(deployment, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(deployment, QUEUES, AGENTS, remove=True))


@pytest.fixture(scope="module")
def acd(deployment: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    flows = str(ROOT / "tests" / "flows")
    env = {"SWITCHBOARD_CALLS__HANDLER": "flows", "SWITCHBOARD_IVR__FLOWS_DIR": flows}
    with running(deployment, **env) as process:
        yield process


def _caller(sipp: Sipp, tmp_path: Path, number: str, dialled: str, wait: float) -> Any:
    scenario = Caller(tmp_path).wait(wait).hang_up(tmp_path / f"caller-{number}.xml")
    return sipp.start(str(scenario), callers=[(number, "Caller")], dialled=dialled, calls=1)


def _record(deployment: Deployment, number: str) -> dict | None:
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 200}).json()["items"]
    done = [c for c in items if c["caller_number"] == number and c["ended_at"]]
    return done[0] if done else None


def test_two_waiting_callers_hear_their_place_and_estimated_wait(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    first = _caller(sipp, tmp_path, "0402220001", "761", wait=14)
    wait_until(
        lambda: len(queue_log(deployment, queue="announce", event="entered")) == 1,
        timeout=15,
        what="the first caller to enter the queue",
    )
    second = _caller(sipp, tmp_path, "0402220002", "761", wait=30)
    finished(first)
    finished(second)
    wait_until(
        lambda: events(deployment, "announce").count(("abandoned", "")) == 2,
        timeout=20,
        what="both callers to leave the queue",
    )
    one, two = (e.contact_id for e in queue_log(deployment, queue="announce", event="entered"))
    heard = {
        contact: [
            (e.data["position"], e.data["estimated_seconds"], e.data["language"])
            for e in queue_log(deployment, event="announced", contact_id=contact)
        ]
        for contact in (one, two)
    }
    # nobody serves the queue and nothing was handled yet: position x the default
    # handling time over max(1, 0 agents)
    aht = DEFAULT_HANDLING_SECONDS
    assert heard[one] == [(1, aht, "en")]
    # the second caller is second while the first waits, first once they have gone
    assert heard[two][0] == (2, 2 * aht, "en")
    assert (1, aht, "en") in heard[two][1:]
    announced = queue_log(deployment, event="announced", contact_id=two)
    entered_two = queue_log(deployment, event="entered", contact_id=two)[0].at
    assert (announced[0].at - entered_two).total_seconds() >= 4.5  # every 5 s, not at once


def test_a_flow_s_skills_pick_the_agent_and_its_next_follows_an_unanswered_wait(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3611", True))
    try:
        # 3611 is ready but speaks Swedish at level 2 and the flow asks for 5: nobody can
        # take the call, so after the queue's max wait the flow goes on at its `next`
        scenario = Caller(tmp_path).await_hangup(tmp_path / "unanswered.xml", timeout=30)
        caller = [("0402220004", "Caller")]
        result = sipp.run(str(scenario), callers=caller, dialled="762", calls=1)
        assert result.returncode == 0, result.stdout[-3000:]
        assert events(deployment, "nordic") == [("entered", ""), ("max_wait", "")]
        record = wait_until(lambda: _record(deployment, "0402220004"), timeout=15, what="record")
        nodes = [s["node"] for s in record["path"] if s["action"] == "node"]
        assert nodes == ["queue", "sorry", "bye"]

        # 3611 has been idle longest, but the Swedish speaker takes the call
        started += phones(deployment, tmp_path, passwords, ("3612", True))
        finished(_caller(sipp, tmp_path, "0402220003", "762", wait=8))
        wait_until(
            lambda: ("completed", "3612") in events(deployment, "nordic"),
            timeout=30,
            what="the Swedish agent to take the call",
        )
        assert events(deployment, "nordic")[2:] == [
            ("entered", ""),
            ("offered", "3612"),
            ("answered", "3612"),
            ("completed", "3612"),
        ]
    finally:
        for phone in started:
            phone.stop()


def _path(deployment: Deployment, number: str) -> list[str]:
    record = wait_until(lambda: _record(deployment, number), timeout=15, what="the call record")
    return [s["node"] for s in record["path"] if s["action"] == "node"]


def test_a_queue_nobody_serves_or_already_full_sends_callers_on_at_once(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    def turned_away() -> list[str]:
        return [e.data["reason"] for e in queue_log(deployment, event="turned_away")]

    # Nobody is logged in to "small": the caller does not wait but goes on at `next`.
    scenario = Caller(tmp_path).await_hangup(tmp_path / "sent-on.xml", timeout=30)
    result = sipp.run(str(scenario), callers=[("0402220005", "Caller")], dialled="765", calls=1)
    assert result.returncode == 0, result.stdout[-3000:]
    assert events(deployment, "small") == [("entered", ""), ("turned_away", "")]
    assert turned_away() == ["no_agents"]
    assert _path(deployment, "0402220005") == ["queue", "sorry", "bye"]

    # Its agent is logged in but busy elsewhere (not ready): one caller may wait, the
    # next finds the queue full.
    started = phones(deployment, tmp_path, passwords, ("3613", True))
    try:
        with deployment.api() as api:
            paused = api.post("/api/agents/3613/not-ready", json={"reason": "meeting"})
            assert paused.status_code == 200, paused.text
        waiting = _caller(sipp, tmp_path, "0402220006", "765", wait=10)
        wait_until(
            lambda: events(deployment, "small").count(("entered", "")) == 2,
            timeout=15,
            what="the first caller to wait in the queue",
        )
        result = sipp.run(str(scenario), callers=[("0402220007", "Caller")], dialled="765", calls=1)
        assert result.returncode == 0, result.stdout[-3000:]
        assert turned_away() == ["no_agents", "full"]
        assert _path(deployment, "0402220007") == ["queue", "sorry", "bye"]
        finished(waiting)  # hung up after waiting: abandoned, never turned away
        wait_until(
            lambda: ("abandoned", "") in events(deployment, "small"),
            timeout=15,
            what="the waiting caller to be logged as abandoned",
        )
        assert turned_away() == ["no_agents", "full"]
    finally:
        for phone in started:
            phone.stop()
