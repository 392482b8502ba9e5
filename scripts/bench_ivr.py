"""IVR responsiveness benchmark: how long a caller waits from pressing a key to hearing
the next prompt, with many callers in menus at once.

It starts a deployment of its own (a fresh Asterisk instance on free ports, a fresh
SQLite database, ``switchboard up`` with a benchmark flow) and has SIPp place ``--callers``
calls at once. Every caller walks the menu: it presses 1 (the system says a short
text-to-speech line and returns to the menu) ``--presses`` times, then 2 to hang up.
Asterisk timestamps each key (ChannelDtmfReceived) and each prompt start
(PlaybackStarted); the controller stores the difference for every key in the call's
record. The script prints p50/p95/p99/max over all of them.

    .venv/bin/python scripts/bench_ivr.py [--callers 50] [--presses 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

try:
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
except ModuleNotFoundError:  # run from the checkout without an editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
from scripts.bench_stats import percentile
from tests.scenarios import Caller

FLOW = """name: bench
language: en
start: menu
nodes:
  menu:
    type: menu
    prompt: {sound: beep}
    options: {"1": ack, "2": done}
    timeout_seconds: 5
    retries: 2
    next: done
  ack:
    type: play
    prompt: {say: "You pressed one."}
    next: menu
  done:
    type: hangup
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--presses", type=int, default=8)
    parser.add_argument("--gap", type=float, default=1.5, help="seconds between key presses")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ivr-"))
    flows = work / "flows"
    flows.mkdir()
    (flows / "routes.yaml").write_text("default: bench\n")
    (flows / "bench.yaml").write_text(FLOW)
    deployment = Deployment(
        state_dir=work / "state",
        database_url=f"sqlite:///{work / 'bench.db'}",
        instance=f"bench-ivr-{os.getpid()}",
        rtp_start=40000,
        extra_env={
            "SWITCHBOARD_CALLS__HANDLER": "flows",
            "SWITCHBOARD_IVR__FLOWS_DIR": str(flows),
            "SWITCHBOARD_LOG_LEVEL": "WARNING",
        },
    )
    deployment.state_dir.mkdir()
    process = None
    try:
        for command in (("pbx", "start"), ("db", "upgrade")):
            result = deployment.cli(*command, timeout=900)
            if result.returncode != 0:
                print(result.stdout + result.stderr, file=sys.stderr)
                return 1
        process = SwitchboardProcess(deployment)
        process.wait_ready()
        caller = Caller(work).wait(1.0)
        for _ in range(args.presses):
            caller.press("1").wait(args.gap)
        scenario = caller.press("2").await_hangup(work / "menu.xml", timeout=30)
        callers = [(f"+35840{3000000 + i}", f"Bench {i}") for i in range(args.callers)]
        started = time.monotonic()
        result = Sipp(deployment, work).run(
            str(scenario), callers=callers, dialled="100", calls=args.callers,
            rate=args.callers, limit=args.callers,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        with deployment.api() as api:
            calls = wait_until(
                lambda: (
                    (items := api.get("/api/calls", params={"limit": 500}).json()["items"])
                    and len([c for c in items if c["ended_at"]]) >= args.callers
                    and items
                ),
                timeout=60,
                what="every call record",
            )
        waits = [
            ms
            for call in calls
            for step in call["path"]
            if step.get("action") == "result"
            for ms in step.get("key_to_prompt_ms", [])
        ]
        completed = [c for c in calls if c["outcome"] == "hangup"]
        print(f"machine: {os.cpu_count()} cores; callers in menus at once: {args.callers}")
        print(f"SIPp exit code {result.returncode}; {len(completed)}/{len(calls)} calls walked "
              f"the whole menu in {elapsed:.1f} s")  # fmt: skip
        if waits:
            print(
                f"key -> next prompt over {len(waits)} key presses: "
                f"p50 {percentile(waits, 50) or 0:.1f} ms, "
                f"p95 {percentile(waits, 95) or 0:.1f} ms, "
                f"p99 {percentile(waits, 99) or 0:.1f} ms, max {max(waits):.1f} ms"
            )
        return 0 if result.returncode == 0 and len(completed) == args.callers else 1
    finally:
        if process is not None:
            process.stop()
        deployment.cli("pbx", "stop")
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        shutil.rmtree(
            root / "switchboard/asterisk-rootfs/var/lib/switchboard" / deployment.instance,
            ignore_errors=True,
        )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
