"""Crash safety: the controller dies mid-call and restarts; nothing hangs, nothing is lost."""

from __future__ import annotations

import pytest

from tests.harness import Deployment, Sipp, SwitchboardProcess, running, wait_until

pytestmark = pytest.mark.usefixtures("no_channels_left")

# Long enough to be mid-call when the controller is killed (about 20 s of prompts).
LONG_GREETING = {
    "SWITCHBOARD_CALLS__HANDLER": "greeting",
    "SWITCHBOARD_CALLS__GREETING": '["sound:vm-intro","sound:vm-intro","sound:vm-intro"]',
}


def _active_calls(deployment: Deployment) -> list[dict]:
    with deployment.api() as api:
        return list(api.get("/api/calls/active").json())


def _record(deployment: Deployment, dialled: str) -> dict | None:
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 100}).json()["items"]
    return next((c for c in items if c["dialled_number"] == dialled), None)


def test_killed_controller_restarts_and_ends_the_call_it_left(
    deployment: Deployment, sipp: Sipp
) -> None:
    first = SwitchboardProcess(deployment, **LONG_GREETING)
    first.wait_ready()
    caller = sipp.start(
        "caller.xml", callers=[("+358407000001", "Crash")], dialled="0800700001", calls=1
    )
    try:
        wait_until(
            lambda: [c for c in _active_calls(deployment) if c["state"] == "answered"],
            timeout=15,
            what="the call to be answered",
        )
        wait_until(
            lambda: (r := _record(deployment, "0800700001")) and r["answered_at"],
            timeout=10,
            what="the answer to be on record",
        )
        first.kill()
        # The caller is still connected to Asterisk, with nobody in charge of the call.
        assert deployment.active_channels() == 1
        assert caller.poll() is None

        with running(deployment, **LONG_GREETING):
            output, _ = caller.communicate(timeout=30)  # the restarted controller hangs up
            assert caller.returncode == 0, output[-3000:]
            wait_until(lambda: deployment.active_channels() == 0, timeout=10, what="no channels")
            record = wait_until(
                lambda: (r := _record(deployment, "0800700001")) and r["ended_at"] and r,
                timeout=10,
                what="the closed record",
            )
    finally:
        if caller.poll() is None:
            caller.kill()
    assert record["disposition"] == "interrupted"
    assert record["answered_at"] is not None  # written when it happened, before the crash
    assert record["answered_at"] <= record["ended_at"]
    assert record["ticket_id"] is not None
    assert record["path"][-1]["action"] == "hangup"


def test_a_call_that_ended_while_the_controller_was_down_is_still_recorded(
    deployment: Deployment, sipp: Sipp
) -> None:
    first = SwitchboardProcess(deployment, **LONG_GREETING)
    first.wait_ready()
    caller = sipp.start(
        "caller.xml", callers=[("+358407000002", "Gone")], dialled="0800700002", calls=1
    )
    try:
        wait_until(lambda: _active_calls(deployment), timeout=15, what="the call")
        wait_until(lambda: _record(deployment, "0800700002"), timeout=10, what="the call on record")
        first.kill()
        deployment.asterisk("channel request hangup all")  # the caller gives up meanwhile
        wait_until(lambda: deployment.active_channels() == 0, timeout=10, what="no channels")
        with running(deployment, **LONG_GREETING):
            record = wait_until(
                lambda: (r := _record(deployment, "0800700002")) and r["ended_at"] and r,
                timeout=10,
                what="the closed record",
            )
    finally:
        caller.kill()
        caller.wait()
    assert record["disposition"] == "interrupted"
    assert record["hangup_cause"] == "lost while the controller was down"
    assert record["ticket_id"] is not None


def test_calls_beyond_capacity_hear_the_apology_instead_of_waiting(
    deployment: Deployment, sipp: Sipp
) -> None:
    env = {
        **LONG_GREETING,
        "SWITCHBOARD_CALLS__GREETING": '["sound:vm-intro"]',
        "SWITCHBOARD_CALLS__MAX_CONCURRENT": "1",
    }
    with running(deployment, **env):
        first = sipp.start(
            "caller.xml", callers=[("+358407000010", "First")], dialled="0800700010", calls=1
        )
        try:
            wait_until(lambda: _active_calls(deployment), timeout=15, what="the first call")
            # The second caller is handed back to the dialplan at once: Asterisk plays its
            # apology and hangs up, while the first call goes on undisturbed.
            second = sipp.run(
                "caller.xml", callers=[("+358407000011", "Second")], dialled="0800700011", calls=1
            )
            assert second.returncode == 0, second.stdout[-2000:]
            assert [c["caller_number"] for c in _active_calls(deployment)] == ["+358407000010"]
            assert _record(deployment, "0800700011") is None
        finally:
            first.kill()
            first.wait()
