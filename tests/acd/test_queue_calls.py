"""Callers through an IVR queue node into the ACD, answered by SIPp agent phones that
register with digest auth: who gets the call, what happens when nobody answers, and what
the queue log says."""

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

FLOWS = ROOT / "tests" / "acd" / "flows"
QUEUES: dict[str, dict[str, Any]] = {
    "support": {"wrapup_seconds": 1, "no_answer_seconds": 10},
    "norep": {"wrapup_seconds": 1, "no_answer_seconds": 3},
    "empty": {},
    "solo": {"wrapup_seconds": 4},
    "backup": {"wrapup_seconds": 1},
    "first": {"max_wait_seconds": 2, "overflow_queue": "backup"},
    "plain": {"wrapup_seconds": 1},
    "vip": {"wrapup_seconds": 1, "priority": 5},
    "fragile": {"wrapup_seconds": 1, "no_answer_seconds": 4},
}
AGENTS: dict[str, dict[str, Any]] = {
    "3101": {"queues": ["support"]},
    "3102": {"queues": ["support"]},
    "3201": {"queues": ["norep"]},
    "3202": {"queues": ["norep"]},
    "3301": {"queues": ["solo"]},
    "3401": {"queues": ["backup"]},
    "3501": {"queues": ["plain", "vip"]},
    "3601": {"queues": ["fragile"]},
    "3602": {"queues": ["fragile"]},
}


@pytest.fixture(scope="module")
def passwords(deployment: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(deployment, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(deployment, QUEUES, AGENTS, remove=True))


@pytest.fixture(scope="module")
def acd(deployment: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    env = {"SWITCHBOARD_CALLS__HANDLER": "flows", "SWITCHBOARD_IVR__FLOWS_DIR": str(FLOWS)}
    with running(deployment, **env) as process:
        yield process


def _call(sipp: Sipp, tmp_path: Path, number: str, dialled: str, talk: float) -> Any:
    scenario = Caller(tmp_path).wait(talk).hang_up(tmp_path / f"caller-{number}.xml")
    return sipp.start(str(scenario), callers=[(number, "Caller")], dialled=dialled, calls=1)


def _closed_call(deployment: Deployment, number: str) -> dict[str, Any]:
    def record() -> dict[str, Any] | None:
        with deployment.api() as api:
            items = api.get("/api/calls", params={"limit": 200}).json()["items"]
        done = [c for c in items if c["caller_number"] == number and c["ended_at"]]
        return done[0] if done else None

    return wait_until(record, timeout=15, what=f"the closed call record of {number}")


def test_the_longest_idle_agent_answers_and_the_call_names_them(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3101", True), ("3102", True))
    try:
        finished(_call(sipp, tmp_path, "0401110001", "701", talk=3))
        wait_until(
            lambda: ("completed", "3101") in events(deployment, "support"),
            timeout=15,
            what="the call to complete",
        )
        assert events(deployment, "support") == [
            ("entered", ""),
            ("offered", "3101"),
            ("answered", "3101"),
            ("completed", "3101"),
        ]
        answered = queue_log(deployment, queue="support", event="answered")[0]
        assert answered.wait_seconds is not None and answered.wait_seconds < 5
        call = _closed_call(deployment, "0401110001")
        assert call["agent"] == "3101"
        assert call["disposition"] == "answered"
    finally:
        for phone in started:
            phone.stop()


def test_no_answer_rings_the_next_agent_and_sets_the_first_not_ready(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3201", False), ("3202", True))
    try:
        finished(_call(sipp, tmp_path, "0401110002", "702", talk=6))
        wait_until(
            lambda: ("completed", "3202") in events(deployment, "norep"),
            timeout=15,
            what="the call to complete with the second agent",
        )
        assert events(deployment, "norep") == [
            ("entered", ""),
            ("offered", "3201"),
            ("no_answer", "3201"),
            ("offered", "3202"),
            ("answered", "3202"),
            ("completed", "3202"),
        ]
        last = queue_log(deployment, event="agent_state", agent="3201")[-1]
        assert last.data == {"state": "not_ready", "reason": "no_answer"}
        answered = queue_log(deployment, queue="norep", event="answered")[0]
        assert answered.wait_seconds is not None and answered.wait_seconds >= 3
    finally:
        for phone in started:
            phone.stop()


def test_an_abandoned_call_is_logged_with_its_wait(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    finished(_call(sipp, tmp_path, "0401110003", "703", talk=3))
    wait_until(
        lambda: ("abandoned", "") in events(deployment, "empty"),
        timeout=15,
        what="the abandoned call in the queue log",
    )
    assert events(deployment, "empty") == [("entered", ""), ("abandoned", "")]
    abandoned = queue_log(deployment, queue="empty", event="abandoned")[0]
    assert abandoned.wait_seconds is not None and 2.5 <= abandoned.wait_seconds < 10


def test_wrap_up_is_respected_before_the_next_call(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3301", True))
    try:
        finished(_call(sipp, tmp_path, "0401110004", "704", talk=1))
        # the second caller waits through the agent's wrap-up, then talks briefly
        finished(_call(sipp, tmp_path, "0401110005", "704", talk=6))
        wait_until(
            lambda: events(deployment, "solo").count(("completed", "3301")) == 2,
            timeout=20,
            what="both calls to complete",
        )
        log = queue_log(deployment, queue="solo")
        first_done = next(e.at for e in log if e.event == "completed")
        second_offered = [e.at for e in log if e.event == "offered"][1]
        assert (second_offered - first_done).total_seconds() >= 3.5  # wrap-up is 4 s
        states = [e.data["state"] for e in queue_log(deployment, event="agent_state", agent="3301")]
        assert states[-5:] == ["on_call", "wrap_up", "ready", "on_call", "wrap_up"]
    finally:
        for phone in started:
            phone.stop()


def test_a_caller_overflows_after_the_max_wait(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3401", True))
    try:
        finished(_call(sipp, tmp_path, "0401110006", "705", talk=5))
        wait_until(
            lambda: ("completed", "3401") in events(deployment, "backup"),
            timeout=15,
            what="the overflowed call to be answered in the backup queue",
        )
        assert events(deployment, "first") == [("entered", ""), ("overflowed", "")]
        overflowed = queue_log(deployment, queue="first", event="overflowed")[0]
        assert overflowed.data == {"to_queue": "backup", "reason": "max_wait"}
        assert events(deployment, "backup") == [
            ("offered", "3401"),
            ("answered", "3401"),
            ("completed", "3401"),
        ]
        answered = queue_log(deployment, queue="backup", event="answered")[0]
        assert answered.wait_seconds is not None and answered.wait_seconds >= 2
    finally:
        for phone in started:
            phone.stop()


def test_a_later_caller_in_a_higher_priority_queue_is_served_first(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3501", True))
    try:
        busy = _call(sipp, tmp_path, "0401110007", "706", talk=5)
        wait_until(
            lambda: ("answered", "3501") in events(deployment, "plain"),
            timeout=15,
            what="the agent to take the first call",
        )
        # while the agent talks, a caller joins the ordinary queue, then one the VIP queue
        earlier = _call(sipp, tmp_path, "0401110008", "706", talk=22)
        wait_until(
            lambda: events(deployment, "plain").count(("entered", "")) == 2,
            timeout=15,
            what="the second caller to wait in the ordinary queue",
        )
        later = _call(sipp, tmp_path, "0401110009", "707", talk=9)
        for caller in (busy, later, earlier):
            finished(caller)
        wait_until(
            lambda: (
                events(deployment, "plain").count(("completed", "3501")) == 2
                and ("completed", "3501") in events(deployment, "vip")
            ),
            timeout=20,
            what="all three calls to complete",
        )
        answers = [
            (e.queue, e.id)
            for e in queue_log(deployment, agent="3501", event="answered")
            if e.queue in ("plain", "vip")
        ]
        # the VIP caller arrived last but was answered before the ordinary one waiting
        assert [queue for queue, _ in answers] == ["plain", "vip", "plain"]
        waiting = queue_log(deployment, queue="plain", event="entered")[1]
        assert queue_log(deployment, queue="vip", event="entered")[0].id > waiting.id
        waits = {e.queue: e.wait_seconds for e in queue_log(deployment, event="answered")}
        assert waits["vip"] is not None and waits["vip"] < 9
    finally:
        for phone in started:
            phone.stop()


def test_an_unreachable_phone_sends_the_caller_back_to_the_head_of_the_queue(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    started = phones(deployment, tmp_path, passwords, ("3601", True), ("3602", True))
    try:
        # the longest-idle agent's phone dies without signing off: Asterisk still has
        # its contact (qualify has not noticed yet), so the first offer goes to it
        started[0].crash()
        finished(_call(sipp, tmp_path, "0401110010", "708", talk=10))
        wait_until(
            lambda: ("completed", "3602") in events(deployment, "fragile"),
            timeout=20,
            what="the call to complete with the reachable agent",
        )
        assert events(deployment, "fragile") == [
            ("entered", ""),
            ("offered", "3601"),
            ("no_answer", "3601"),
            ("offered", "3602"),
            ("answered", "3602"),
            ("completed", "3602"),
        ]
        assert agent_states(deployment, "3601")[-1] in ("not_ready", "logged_out")
        call = _closed_call(deployment, "0401110010")
        assert (call["agent"], call["disposition"]) == ("3602", "answered")
    finally:
        for phone in started:
            phone.stop()
