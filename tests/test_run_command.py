"""What the README's run command does: ``switchboard up`` provisions and starts its own
Asterisk, takes calls into the sample IVR, and stops that Asterisk again on SIGTERM."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until


def test_up_runs_the_whole_system_and_stops_its_asterisk(tmp_path: Path, database_url: str) -> None:
    deployment = Deployment(
        state_dir=tmp_path / "state",
        database_url=database_url,
        instance=f"up-{os.getpid()}",
        rtp_start=33000,
    )
    deployment.state_dir.mkdir()
    process = SwitchboardProcess(deployment, ("up",))
    try:
        process.wait_ready(timeout=300)
        assert "starting Asterisk" in process.log()
        caller = Sipp(deployment, tmp_path)
        result = caller.run(
            "listener.xml", callers=[("+358404440001", "Aino")], dialled="0800123456", calls=1
        )
        assert result.returncode == 0, result.stdout[-2000:]
        with deployment.api() as api:
            call = wait_until(
                lambda: next(
                    (
                        c
                        for c in api.get("/api/calls").json()["items"]
                        if c["caller_number"] == "+358404440001" and c["ended_at"]
                    ),
                    None,
                ),
                timeout=15,
                what="the closed call record",
            )
        assert call["flow"] == "utility_main"
        assert [s["node"] for s in call["path"] if s["action"] == "node"][:1] == ["welcome"]
        assert call["ticket_id"] is not None
    finally:
        process.stop()
    assert process.process.returncode == 0
    assert "stopping the Asterisk instance started by this command" in process.log()
    status = deployment.cli("pbx", "status")
    assert status.returncode == 3 and "not running" in status.stdout
    instance_dir = deployment.instance_dir()
    if instance_dir is not None:
        shutil.rmtree(instance_dir)
