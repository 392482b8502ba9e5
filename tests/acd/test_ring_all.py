"""Ring-all with SIPp agent phones: every ready agent's phone rings at once, the first to
answer takes the caller, and the others stop ringing and stay ready."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acd.acd_setup import agent_states, events, finished, phones, provision, queue_log
from tests.harness import ROOT, Deployment, Sipp, SwitchboardProcess, running, wait_until
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

QUEUES: dict[str, dict[str, Any]] = {
    "everyone": {"strategy": "ring_all", "wrapup_seconds": 1, "no_answer_seconds": 8},
}
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
    flows = str(ROOT / "tests" / "flows")
    env = {"SWITCHBOARD_CALLS__HANDLER": "flows", "SWITCHBOARD_IVR__FLOWS_DIR": flows}
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
