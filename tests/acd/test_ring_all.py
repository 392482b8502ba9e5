"""Ring-all with SIPp agent phones: every ready agent's phone rings at once, the first to
answer takes the caller, and the others stop ringing and stay ready."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acd.acd_setup import agent_states, events, finished, phones, provision, queue_log
from tests.acd.outside_phone import outside_phone
from tests.harness import (
    ROOT,
    Deployment,
    Sipp,
    SwitchboardProcess,
    free_port,
    running,
    wait_until,
)
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

QUEUES: dict[str, dict[str, Any]] = {
    "everyone": {
        "strategy": "ring_all",
        "wrapup_seconds": 1,
        "no_answer_seconds": 8,
        "callback_key": "5",
    },
}
CUSTOMER = free_port(socket.SOCK_DGRAM)  # the phone of a caller asking to be called back
AGENTS: dict[str, dict[str, Any]] = {
    "3501": {"queues": ["everyone"]},
    "3502": {"queues": ["everyone"]},
}


@pytest.fixture(scope="module")
def passwords(deployment: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(deployment, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(deployment, QUEUES, AGENTS, remove=True))


@pytest.fixture(scope="module")
def acd(deployment: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    env = {
        "SWITCHBOARD_CALLS__HANDLER": "flows",
        "SWITCHBOARD_IVR__FLOWS_DIR": str(ROOT / "tests" / "flows"),
        "SWITCHBOARD_CALLS__CALLBACK_DIAL": f"PJSIP/trunk/sip:{{number}}@127.0.0.1:{CUSTOMER}",
    }
    with running(deployment, **env) as process:
        yield process


def test_every_ready_agent_rings_and_the_first_to_answer_takes_the_call(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    # 3501 rings without answering; 3502 answers
    started = phones(deployment, tmp_path, passwords, ("3501", False), ("3502", True))
    try:
        scenario = Caller(tmp_path).wait(10).hang_up(tmp_path / "ring-all.xml")
        caller = sipp.start(
            str(scenario), callers=[("0403330001", "Caller")], dialled="763", calls=1
        )
        wait_until(
            lambda: ("answered", "3502") in events(deployment, "everyone"),
            timeout=15,
            what="the answering agent to take the call",
        )
        finished(caller)
        wait_until(
            lambda: ("completed", "3502") in events(deployment, "everyone"),
            timeout=15,
            what="the call to complete",
        )
        assert events(deployment, "everyone") == [
            ("entered", ""),
            ("offered", "3501"),
            ("offered", "3502"),
            ("answered", "3502"),
            ("completed", "3502"),
        ]
        # 3501's phone was hung up (it stopped ringing) and 3501 made ready again the
        # moment 3502 answered, while the call was still going on
        released = queue_log(deployment, event="agent_state", agent="3501")[-1]
        assert released.data == {"state": "ready", "reason": ""}
        answered = queue_log(deployment, queue="everyone", event="answered")[0]
        completed = queue_log(deployment, queue="everyone", event="completed")[0]
        assert released.at <= answered.at < completed.at
        offers = queue_log(deployment, queue="everyone", event="offered")
        assert all(o.data["ring_all"] is True for o in offers)
        assert "wrap_up" in agent_states(deployment, "3502")
        reasons = [
            e.data["reason"] for e in queue_log(deployment, event="agent_state", agent="3501")
        ]
        assert "no_answer" not in reasons  # not answering a ring-all is no fault
    finally:
        for phone in started:
            phone.stop()


def test_a_callback_in_a_ring_all_queue_rings_every_ready_agent(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    for extension in AGENTS:  # their phones signed off at the end of the test before
        wait_until(
            lambda ext=extension: agent_states(deployment, ext)[-1:] == ["logged_out"],
            timeout=40,
            what=f"agent {extension} to be logged out",
        )
    customer = outside_phone(tmp_path, CUSTOMER, answer=True, talk_ms=3000)
    started = []
    try:
        asking = Caller(tmp_path).wait(2).press("5").await_hangup(tmp_path / "ask.xml", timeout=30)
        finished(
            sipp.start(str(asking), callers=[("0403330002", "Caller")], dialled="763", calls=1)
        )
        (requested,) = queue_log(deployment, event="callback_requested", queue="everyone")
        # 3501 is ready first and rings alone without answering; by the next round 3502
        # is ready too, and both ring for the callback
        started = phones(
            deployment, tmp_path, passwords, ("3501", False), ("3502", True), talk=(6, 6)
        )
        finished(customer)  # called back, talked three seconds, hung up
        done = wait_until(
            lambda: queue_log(deployment, event="callback_completed", queue="everyone"),
            timeout=20,
            what="the callback to complete",
        )
    finally:
        for phone in started:
            phone.stop()
        if customer.poll() is None:
            customer.kill()
            customer.wait()
    assert done[0].agent == "3502" and done[0].data["outcome"] == "answered"
    offered = queue_log(deployment, event="offered", contact_id=requested.contact_id)
    assert all(o.data["ring_all"] is True for o in offered)
    assert {o.agent for o in offered} == {"3501", "3502"}
    assert sorted(o.agent for o in offered[-2:]) == ["3501", "3502"]
    reasons = [e.data["reason"] for e in queue_log(deployment, event="agent_state", agent="3501")]
    assert "no_answer" not in reasons
