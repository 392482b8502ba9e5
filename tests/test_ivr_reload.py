"""Editing flows while calls run: a call keeps the version it started with, new calls get
the new one, and an invalid edit never goes live."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import Deployment, Sipp, running, wait_until
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

ROUTES = "default: line\n"
LINE = {"dialled": "777", "calls": 1}
FLOW = """name: line
language: en
start: hold
nodes:
  hold:
    type: play
    interruptible: false
    prompt: {{sound: vm-intro}}
    next: {end}
  {end}:
    type: hangup
"""


def _save(path: Path, text: str) -> None:
    """Save as editors do: write a new file, then rename it over the old one."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _ended_calls(deployment: Deployment, number: str) -> list[dict]:
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 200}).json()["items"]
    return [c for c in items if c["caller_number"] == number and c["ended_at"]]


def _last_node(call: dict) -> str:
    return [s["node"] for s in call["path"] if s["action"] == "node"][-1]


def _version(call: dict) -> str:
    return next(s["flowset_version"] for s in call["path"] if s["action"] == "result")


def test_calls_keep_their_version_and_bad_edits_never_go_live(
    deployment: Deployment, sipp: Sipp, tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "routes.yaml").write_text(ROUTES)
    (flows / "line.yaml").write_text(FLOW.format(end="first_end"))
    env = {
        "SWITCHBOARD_CALLS__HANDLER": "flows",
        "SWITCHBOARD_IVR__FLOWS_DIR": str(flows),
        "SWITCHBOARD_IVR__RELOAD_INTERVAL": "0.2",
    }
    with running(deployment, **env), deployment.api() as api:
        first = api.get("/api/flows").json()
        waiting = Caller(tmp_path).await_hangup(tmp_path / "wait.xml", timeout=30)
        in_progress = sipp.start(str(waiting), callers=[("+358402220001", "A")], **LINE)
        try:
            wait_until(
                lambda: api.get("/api/calls/active").json(), timeout=10, what="call A to start"
            )
            # A supervisor edits the flow while call A is listening to its first prompt.
            _save(flows / "line.yaml", FLOW.format(end="second_end"))
            second = wait_until(
                lambda: (v := api.get("/api/flows").json())["version"] != first["version"] and v,
                timeout=10,
                what="the edit to go live",
            )
            result = sipp.run(str(waiting), callers=[("+358402220002", "B")], **LINE)
            assert result.returncode == 0, result.stdout[-2000:]
            output, _ = in_progress.communicate(timeout=30)
            assert in_progress.returncode == 0, output[-2000:]
        finally:
            if in_progress.poll() is None:
                in_progress.kill()

        # A broken edit: the hangup node is gone, so 'hold' points nowhere.
        _save(flows / "line.yaml", FLOW.format(end="third_end").split("  third_end:")[0])
        status = wait_until(
            lambda: (v := api.get("/api/flows").json())["pending_errors"] and v,
            timeout=10,
            what="the broken edit to be rejected",
        )
        assert status["version"] == second["version"]
        (error,) = status["pending_errors"]
        assert (error["line"], error["column"]) == (9, 11)
        assert "unknown node 'third_end'" in error["message"]
        result = sipp.run(str(waiting), callers=[("+358402220003", "C")], **LINE)
        assert result.returncode == 0, result.stdout[-2000:]

        (call_a,) = wait_until(lambda: _ended_calls(deployment, "+358402220001"), timeout=10)
        (call_b,) = wait_until(lambda: _ended_calls(deployment, "+358402220002"), timeout=10)
        (call_c,) = wait_until(lambda: _ended_calls(deployment, "+358402220003"), timeout=10)
    assert (_last_node(call_a), _version(call_a)) == ("first_end", first["version"])
    assert (_last_node(call_b), _version(call_b)) == ("second_end", second["version"])
    assert (_last_node(call_c), _version(call_c)) == ("second_end", second["version"])
