"""A callback that keeps the caller's place, with SIPp callers, a SIPp agent phone and a
SIPp "customer" phone the ACD dials back through the trunk."""

from __future__ import annotations

import asyncio
import socket
import subprocess
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
    "callbacks": {"callback_key": "5", "wrapup_seconds": 1, "no_answer_seconds": 10},
}
AGENTS: dict[str, dict[str, Any]] = {"3701": {"queues": ["callbacks"]}}
CUSTOMER_PORT = free_port(socket.SOCK_DGRAM)


@pytest.fixture(scope="module")
def passwords(deployment: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(deployment, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(deployment, QUEUES, AGENTS, remove=True))


ENV = {
    "SWITCHBOARD_CALLS__HANDLER": "flows",
    "SWITCHBOARD_IVR__FLOWS_DIR": str(ROOT / "tests" / "flows"),
    "SWITCHBOARD_CALLS__CALLBACK_DIAL": f"PJSIP/trunk/sip:{{number}}@127.0.0.1:{CUSTOMER_PORT}",
}


@pytest.fixture(scope="module")
def acd(deployment: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    with running(deployment, **ENV) as process:
        yield process


def _customer(tmp_path: Path) -> subprocess.Popen[str]:
    """The customer's phone: answers the callback, talks three seconds and hangs up."""
    process: subprocess.Popen[str] = outside_phone(
        tmp_path, CUSTOMER_PORT, answer=True, talk_ms=3000
    )
    return process


def _entered(deployment: Deployment) -> int:
    return len(queue_log(deployment, queue="callbacks", event="entered"))


def test_a_callback_keeps_the_caller_s_place_in_line(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    customer = _customer(tmp_path)
    callers: list[Any] = []
    started = []
    try:

        def call(number: str, scenario: Path) -> None:
            callers.append(
                sipp.start(str(scenario), callers=[(number, "Caller")], dialled="764", calls=1)
            )

        # callers 1 and 3 stay until the agent hangs up (after 6 s of talk)
        call("0404440001", Caller(tmp_path).await_hangup(tmp_path / "one.xml", timeout=120))
        wait_until(lambda: _entered(deployment) == 1, timeout=15, what="caller 1 in line")
        two = Caller(tmp_path).wait(2).press("5").await_hangup(tmp_path / "two.xml", timeout=30)
        call("0404440002", two)
        wait_until(
            lambda: queue_log(deployment, event="callback_requested", queue="callbacks"),
            timeout=20,
            what="caller 2 to ask for a callback",
        )
        call("0404440003", Caller(tmp_path).await_hangup(tmp_path / "three.xml", timeout=120))
        wait_until(lambda: _entered(deployment) == 3, timeout=15, what="caller 3 in line")
        finished(callers[1])  # caller 2 heard the confirmation and was hung up on

        started = phones(deployment, tmp_path, passwords, ("3701", True), talk=(6, 6))
        for process in (callers[0], callers[2], customer):
            finished(process, timeout=120)
        wait_until(
            lambda: events(deployment, "callbacks").count(("completed", "3701")) == 2,
            timeout=20,
            what="the third caller's call to complete",
        )
    finally:
        for phone in started:
            phone.stop()
        for process in [*callers, customer]:
            if process.poll() is None:
                process.kill()
                process.wait()

    one, two_id, three = (
        e.contact_id for e in queue_log(deployment, event="entered", queue="callbacks")
    )
    (requested,) = queue_log(deployment, event="callback_requested", queue="callbacks")
    assert requested.data["number"] == "0404440002"
    assert requested.data["position"] == 2
    assert requested.data["call"] == two_id
    answered = [e.contact_id for e in queue_log(deployment, event="answered", queue="callbacks")]
    assert answered == [one, requested.contact_id, three]  # 1, the callback for 2, then 3
    (done,) = queue_log(deployment, event="callback_completed", queue="callbacks")
    assert done.agent == "3701"
    assert done.data["outcome"] == "answered"
    assert done.data["talk_seconds"] >= 2.5
    assert not queue_log(deployment, event="abandoned", queue="callbacks")


# Last in the module: it crashes the module's controller and serves with a new one.
def test_a_callback_survives_a_crash_of_the_controller(
    deployment: Deployment, acd: SwitchboardProcess, sipp: Sipp, tmp_path: Path, passwords: dict
) -> None:
    number = "0404440009"
    wait_until(  # the agent's phone signed off at the end of the test before
        lambda: agent_states(deployment, "3701")[-1:] == ["logged_out"],
        timeout=40,
        what="agent 3701 to be logged out",
    )
    customer = _customer(tmp_path)
    started = []
    try:
        asking = Caller(tmp_path).wait(2).press("5").await_hangup(tmp_path / "ask.xml", timeout=30)
        finished(sipp.start(str(asking), callers=[(number, "Caller")], dialled="764", calls=1))
        (requested,) = [
            e for e in queue_log(deployment, event="callback_requested", queue="callbacks")
            if e.data["number"] == number
        ]  # fmt: skip
        acd.kill()  # no agent was free: the request waited only in the controller and the database

        with running(deployment, **ENV):
            started = phones(deployment, tmp_path, passwords, ("3701", True), talk=(6, 6))
            finished(customer, timeout=120)
            done = wait_until(
                lambda: queue_log(
                    deployment, event="callback_completed", contact_id=requested.contact_id
                ),
                timeout=20,
                what="the restored callback to complete",
            )
    finally:
        for phone in started:
            phone.stop()
        if customer.poll() is None:
            customer.kill()
            customer.wait()

    (restored,) = queue_log(deployment, event="callback_restored", queue="callbacks")
    assert restored.contact_id == requested.contact_id
    assert restored.data == {"number": number, "position": 1}
    assert done[0].agent == "3701"
    assert done[0].data["outcome"] == "answered"
    answered = queue_log(deployment, event="answered", contact_id=requested.contact_id)
    assert answered and answered[0].wait_seconds is not None and answered[0].wait_seconds >= 2
