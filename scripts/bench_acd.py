"""ACD benchmark: 100 callers and 20 agent phones through one queue for a few minutes.

It starts a deployment of its own (a fresh Asterisk instance on free ports, a fresh
database, ``switchboard up`` with an IVR flow that puts every caller into the queue
``bench``) and provisions 20 agents. Each agent is a SIPp phone that registers with
digest auth, answers every call, talks a uniformly random 2-8 s and hangs up. SIPp then
places calls at ``--rate`` per second with at most ``--callers`` (100) up at once, for
``--minutes`` (default 5); a caller who is not answered within ``--patience`` seconds
hangs up (abandons).

Printed afterwards, from the queue log:

* calls offered to the queue (entered), handled (answered), abandoned;
* the zero-lost check: every caller that entered was either answered or logged as
  abandoned (or reached the queue's max wait, of which this queue has none);
* p50/p99 routing decision latency: the time from a contact (or an agent) becoming
  routable to the agent being offered, measured inside the ACD service (``routing_ms``
  on every ``offered`` row);
* the CPU time of the ``switchboard up`` process (controller and web in one process)
  over the run, from /proc, as a share of one core.

    .venv/bin/python scripts/bench_acd.py [--minutes 5] [--rate 4] [--database-url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
except ModuleNotFoundError:  # run from the checkout without an editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
from scripts.bench_calls import check, cpu_count, cpu_model, database_kind, stop_asterisk
from scripts.bench_stats import percentile
from tests.acd.acd_setup import agent_states, provision, queue_log
from tests.acd.sipp_agent import SippAgent
from tests.scenarios import _HANGUP, Caller

QUEUE = "bench"
DIALLED = "800"
AGENTS = [str(4001 + n) for n in range(20)]
TALK_SECONDS = (2.0, 8.0)
FLOW = f"""name: bench_acd
language: en
start: queue
nodes:
  queue:
    type: queue
    queue: {QUEUE}
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5, help="how long calls are placed")
    parser.add_argument("--rate", type=float, default=4, help="new calls per second")
    parser.add_argument("--callers", type=int, default=100, help="callers up at once")
    parser.add_argument("--agents", type=int, default=20, choices=range(1, 21), metavar="1-20")
    parser.add_argument("--patience", type=int, default=45, help="seconds before abandoning")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    return parser.parse_args(argv)


def caller_scenario(workdir: Path, patience: int) -> Path:
    """Wait for an agent (the system hangs up after the talk); abandon after ``patience``."""
    path = Caller(workdir).await_hangup(workdir / "caller.xml", timeout=patience)
    text = path.read_text()
    wait = f'<recv request="BYE" timeout="{patience * 1000}"/>'
    assert wait in text, "the caller scenario changed shape"
    text = text.replace(wait, wait.replace("/>", ' ontimeout="abandon"/>'))
    abandon = '  <nop next="done"/>\n  <label id="abandon"/>\n' + _HANGUP.replace(
        "</scenario>", '  <label id="done"/>\n</scenario>'
    )
    path.write_text(text.removesuffix("</scenario>\n") + abandon)
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(deployment: Deployment) -> tuple[list[str], bool]:
    rows = queue_log(deployment, queue=QUEUE)
    entered = {r.contact_id for r in rows if r.event == "entered"}
    answered = {r.contact_id for r in rows if r.event == "answered"}
    abandoned = {r.contact_id for r in rows if r.event == "abandoned"}
    timed_out = {r.contact_id for r in rows if r.event == "max_wait"}
    completed = {r.contact_id for r in rows if r.event == "completed"}
    offers = [r for r in rows if r.event == "offered"]
    no_answer = sum(1 for r in rows if r.event == "no_answer")
    lost = entered - answered - abandoned - timed_out
    routing = [float(r.data["routing_ms"]) for r in offers if "routing_ms" in r.data]
    p50, p99 = percentile(routing, 50), percentile(routing, 99)
    lines = [
        f"calls offered to the queue: {len(entered)}",
        f"handled (answered by an agent): {len(answered)} ({len(completed)} completed)",
        f"abandoned (caller hung up while waiting): {len(abandoned)}",
        f"offers to agents: {len(offers)} ({no_answer} not answered in time)",
        f"zero lost: {'yes' if not lost else 'NO'} "
        f"({len(lost)} caller(s) neither handled nor logged abandoned)",
        f"routing decision latency (contact ready -> agent offered, {len(routing)} offers): "
        f"p50 {p50 if p50 is None else f'{p50:.2f}'} ms, "
        f"p99 {p99 if p99 is None else f'{p99:.2f}'} ms, "
        f"max {max(routing, default=0):.2f} ms",
    ]
    unfinished = answered - completed - abandoned
    if unfinished:
        lines.append(f"answered but not (yet) logged completed: {len(unfinished)}")
    # the report is final once nobody is lost and every answered call's completion is in
    return lines, not lost and not unfinished


def start_agents(deployment: Deployment, workdir: Path, passwords: dict[str, str]) -> list[Any]:
    phones = []
    for extension in passwords:
        phones.append(
            SippAgent(deployment, workdir, extension, passwords[extension], talk=TALK_SECONDS)
        )
    for extension in passwords:
        wait_until(
            lambda ext=extension: agent_states(deployment, ext)[-1:] == ["ready"],
            timeout=60,
            what=f"agent {extension} to be ready",
        )
    return phones


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on SIGTERM
    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-acd-"))
    (tmp / "state").mkdir()
    flows = tmp / "flows"
    flows.mkdir()
    (flows / "bench_acd.yaml").write_text(FLOW)
    (flows / "routes.yaml").write_text(f'"{DIALLED}": bench_acd\n')
    database_url = args.database_url or f"sqlite:///{tmp / 'switchboard.db'}"
    deployment = Deployment(
        state_dir=tmp / "state",
        database_url=database_url,
        instance=f"bench-acd-{os.getpid()}",
        extra_env={
            "SWITCHBOARD_CALLS__HANDLER": "flows",
            "SWITCHBOARD_IVR__FLOWS_DIR": str(flows),
            "SWITCHBOARD_LOG_LEVEL": "WARNING",
        },
    )
    agents = {e: {"queues": [QUEUE]} for e in AGENTS[: args.agents]}
    queues = {QUEUE: {"wrapup_seconds": 1, "no_answer_seconds": 10}}
    calls = max(1, round(args.rate * args.minutes * 60))
    print("Switchboard ACD benchmark", flush=True)
    print(f"machine:  {cpu_count()} CPU(s), {cpu_model()}; database {database_kind(database_url)}")
    print(
        f"plan:     {calls} calls at {args.rate:g}/s over {args.minutes:g} min, at most "
        f"{args.callers} callers at once, patience {args.patience} s; {len(agents)} agents "
        f"talking {TALK_SECONDS[0]:g}-{TALK_SECONDS[1]:g} s, wrap-up 1 s",
        flush=True,
    )
    process: SwitchboardProcess | None = None
    phones: list[Any] = []
    try:
        check(deployment.cli("pbx", "start", timeout=900), "switchboard pbx start")
        check(deployment.cli("db", "upgrade"), "switchboard db upgrade")
        passwords = asyncio.run(provision(deployment, queues, agents))
        process = SwitchboardProcess(deployment)
        try:
            process.wait_ready(timeout=300)
        except AssertionError:
            tail = "\n".join(process.log().splitlines()[-25:])
            raise SystemExit(f"switchboard up did not become ready:\n{tail}") from None
        pid = process.process.pid
        phones = start_agents(deployment, tmp, passwords)
        print(f"{len(phones)} agents registered and ready", flush=True)
        numbers = [(f"04055{n:05d}", f"Caller {n}") for n in range(args.callers)]
        scenario = caller_scenario(tmp, args.patience)
        sipp = Sipp(deployment, tmp)
        cpu_before, started = cpu_seconds(pid), time.monotonic()
        command = sipp.command(
            str(scenario),
            callers=numbers,
            dialled=DIALLED,
            calls=calls,
            rate=args.rate,
            limit=args.callers,
        )
        # the harness gives SIPp a global 120 s limit: this run places calls for longer
        limit = str(round(args.minutes * 60 + args.patience + 300))
        command[command.index("-timeout") + 1] = limit
        run = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=args.minutes * 60 + args.patience + 600,
            check=False,
            cwd=tmp,
        )
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_before
        deadline = time.monotonic() + 60  # the last calls' rows may still be written
        lines, whole = report(deployment)
        while not whole and time.monotonic() < deadline:
            time.sleep(2)
            lines, whole = report(deployment)
        print()
        print(f"SIPp ran {elapsed:.1f} s, exit code {run.returncode}")
        for line in lines:
            print(f"  {line}")
        print(
            f"  controller CPU (switchboard up, pid {pid}): {cpu:.1f} s over {elapsed:.1f} s = "
            f"{100 * cpu / elapsed:.1f}% of one core"
        )
        return 0 if whole else 1
    finally:
        for phone in phones:
            phone.stop()
        if process is not None:
            process.stop()
        if not stop_asterisk(deployment):
            print(f"Asterisk instance {deployment.instance} may still run")
        directory = deployment.instance_dir()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
