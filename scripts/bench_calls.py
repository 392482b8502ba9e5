"""Call-handling benchmark: how many calls per second Switchboard's controller handles
without failing, next to the same work done by Asterisk's dialplan alone.

It starts a deployment of its own (a fresh Asterisk instance on free ports, a fresh
database, ``switchboard up``) and has SIPp place calls at rising rates to two targets:

* the controller: every call enters Stasis and Switchboard's greeting handler answers it,
  plays a beep and hangs up (the greeting is set to ``sound:beep``), writing a call record,
  a contact and a ticket as usual;
* the baseline: dialplan-only numbers (``_9999X.``) that do Answer(), Playback(beep),
  Hangup() without ever leaving Asterisk.

Each step places ``rate * duration`` calls at ``rate`` calls per second; it passes when SIPp
reports zero failed calls. A target's rate stops rising after its first failing step. For
the controller it also reads the step's call records through the REST API and reports the
p50/p99 of ``after_stasis_start_ms`` of the ``answer`` path step: the time from Asterisk's
StasisStart event to the answer having completed, i.e. how long a caller waits on
Switchboard. SIPp's own INVITE -> 200 OK time is reported for both targets.

The result is the highest zero-failure rate of each target and their ratio. Zero failures
is a weak bar (an overloaded controller answers late rather than not at all), so a step
that SIPp needed noticeably longer than ``duration`` for is flagged as having fallen
behind, and the summary also names the highest rate that passed without falling behind.
The figures depend on the machine (printed with the results), on the database and on
whatever else runs on the machine at the same time (the load average is printed too).

    .venv/bin/python scripts/bench_calls.py [--duration 10] [--rates 10,50,100] \\
        [--database-url postgresql://...] [--targets controller,baseline] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

try:
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
except ModuleNotFoundError:  # not installed in editable mode: run from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
from scripts.bench_stats import percentile

DEFAULT_RATES = "10,50,100,150,200,300,400,600,800,1000"
CONTROLLER_PREFIX = "0800999"  # + the rate: a distinct dialled number per step
BASELINE_NUMBER = "99990000"  # matches _9999X. (dialplan only)
# A wide RTP range below the kernel's ephemeral ports (32768+), away from the defaults of
# a running system (10000-10999) and of the tests (31000-31999): with the usual 1000 ports
# an instance has RTP for ~500 simultaneous calls, and the baseline's fastest steps hold
# more than that, so the benchmark would measure the port range instead of the CPU.
RTP_START = 20000
RTP_PORTS = 10000

# SIPp's statistics columns (-trace_stat) that name a reason for failed calls.
FAILURE_COLUMNS = (
    "FailedCannotSendMessage(C)",
    "FailedMaxUDPRetrans(C)",
    "FailedTcpConnect(C)",
    "FailedTcpClosed(C)",
    "FailedUnexpectedMessage(C)",
    "FailedCallRejected(C)",
    "FailedCmdNotSent(C)",
    "FailedRegexpDoesntMatch(C)",
    "FailedRegexpShouldntMatch(C)",
    "FailedRegexpHdrNotFound(C)",
    "FailedOutboundCongestion(C)",
    "FailedTimeoutOnRecv(C)",
    "FailedTimeoutOnSend(C)",
)


@dataclass(frozen=True)
class Target:
    name: str
    controller: bool

    def dialled(self, rate: float) -> str:
        if not self.controller:
            return BASELINE_NUMBER
        return CONTROLLER_PREFIX + f"{rate:g}".replace(".", "")


CONTROLLER = Target("controller", controller=True)
BASELINE = Target("baseline", controller=False)
TARGETS = (CONTROLLER, BASELINE)


@dataclass
class Step:
    target: Target
    rate: float
    placed: int
    exit_code: int | None = None
    successful: int = 0
    failed: int = 0
    created: int = 0
    retransmissions: int = 0
    call_length_ms: float | None = None
    wall_seconds: float = 0.0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    invite_to_200_ms: list[float] = field(default_factory=list)
    answer_ms: list[float] = field(default_factory=list)
    dispositions: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.failed == 0 and self.successful == self.placed


def fmt_ms(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def fmt_rate(rate: float) -> str:
    return f"{rate:g}"


# --- the machine ------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def database_kind(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    return {"postgres": "postgresql"}.get(scheme, scheme)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the deployment ---------------------------------------------------------------------
def instance_dir(deployment: Deployment) -> Path | None:
    """The instance's folder under the provisioned Asterisk root (as in tests/conftest.py)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidate = cache / "switchboard" / "asterisk-rootfs" / "var/lib/switchboard"
    candidate = candidate / deployment.instance
    return candidate if candidate.is_dir() else None


def check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def ari(deployment: Deployment) -> httpx.Client:
    """ARI of the instance: listing channels this way costs no process start per poll."""
    return httpx.Client(
        base_url=f"http://127.0.0.1:{deployment.http_port}/ari",
        auth=("switchboard", deployment.secrets()["ari_password"]),
        timeout=10,
    )


def channel_ids(deployment: Deployment) -> list[str] | None:
    """The channels up in Asterisk; None when Asterisk is too busy to answer in time."""
    try:
        with ari(deployment) as client:
            response = client.get("/channels")
            response.raise_for_status()
            return [str(channel["id"]) for channel in response.json()]
    except httpx.HTTPError:
        return None


def settle_channels(deployment: Deployment, step: Step, timeout: float = 30) -> None:
    """Wait for Asterisk to have no channel left; hang up stragglers after ``timeout``."""
    try:
        wait_until(
            lambda: channel_ids(deployment) == [],
            timeout=timeout,
            interval=0.2,
            what="no active channel",
        )
        return
    except AssertionError:
        pass
    left = wait_until(
        lambda: channel_ids(deployment), timeout=30, interval=0.5, what="the channels left"
    )
    step.notes.append(f"{len(left)} channel(s) still up {timeout:.0f} s after the calls; hung up")
    with ari(deployment) as client:
        for channel in left:
            with contextlib.suppress(httpx.HTTPError):
                client.delete(f"/channels/{channel}")
    wait_until(
        lambda: channel_ids(deployment) == [],
        timeout=30,
        interval=0.2,
        what="no active channel after hanging up",
    )


def settle_controller(deployment: Deployment, step: Step, timeout: float = 30) -> None:
    """Wait for the controller to hold no call (it may still be working off a backlog)."""

    def idle() -> bool:
        try:
            with deployment.api() as api:
                response = api.get("/api/calls/active")
                response.raise_for_status()
                return not response.json()
        except httpx.HTTPError:  # the web API shares the controller's event loop
            return False

    try:
        wait_until(idle, timeout=timeout, interval=0.5, what="the controller to be idle")
    except AssertionError:
        step.notes.append(f"the controller still held calls {timeout:.0f} s after the step")


def stop_asterisk(deployment: Deployment) -> bool:
    """``switchboard pbx stop``; should that fail, end the instance's own process by its
    pid file. True when the instance is no longer running."""
    stopped = deployment.cli("pbx", "stop", timeout=120)
    directory = instance_dir(deployment)
    pid_file = directory / "run" / "asterisk.pid" if directory else None
    if stopped.returncode == 0:
        return True
    print(f"switchboard pbx stop failed: {(stopped.stdout + stopped.stderr).strip()[-500:]}")
    if pid_file is None or not pid_file.is_file():
        return False
    pid = int(pid_file.read_text().strip())
    print(f"stopping this benchmark's Asterisk (pid {pid}) directly")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        try:
            wait_until(lambda: not _alive(pid), timeout=15, what=f"Asterisk pid {pid} to exit")
            return True
        except AssertionError:
            continue
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- call records -------------------------------------------------------------------------
def records_after(deployment: Deployment, after_id: int) -> list[dict[str, Any]]:
    """Every call record with an id above ``after_id`` (newest first, cursor paging)."""
    found: list[dict[str, Any]] = []
    params: dict[str, int] = {"limit": 500}
    with deployment.api() as api:
        while True:
            response = api.get("/api/calls", params=params)
            response.raise_for_status()
            page = response.json()
            for item in page["items"]:
                if item["id"] <= after_id:
                    return found
                found.append(item)
            if page["next_cursor"] is None:
                return found
            params = {"limit": 500, "cursor": page["next_cursor"]}


def latest_record_id(deployment: Deployment) -> int:
    with deployment.api() as api:
        response = api.get("/api/calls", params={"limit": 1})
        response.raise_for_status()
        items = response.json()["items"]
    return int(items[0]["id"]) if items else 0


def collect_records(deployment: Deployment, step: Step, after_id: int, timeout: float = 60) -> int:
    """Wait until the step's records are all closed, then take their answer latencies.

    Returns the highest record id seen (the next step's watermark)."""
    dialled = step.target.dialled(step.rate)
    latest: list[dict[str, Any]] = []
    fetched = False

    def settled() -> bool:
        nonlocal latest, fetched
        try:
            latest = records_after(deployment, after_id)
        except httpx.HTTPError:  # the web API shares the controller's event loop
            return False
        fetched = True
        mine = [r for r in latest if r["dialled_number"] == dialled]
        open_ = [r for r in mine if r["disposition"] == "active"]
        return len(mine) >= step.successful and not open_

    try:
        wait_until(settled, timeout=timeout, interval=0.5, what="the step's call records")
    except AssertionError:
        if fetched:
            step.notes.append(f"call records not all closed {timeout:.0f} s after the calls")
        else:
            step.notes.append(f"GET /api/calls did not answer in time for {timeout:.0f} s")
    mine = [
        r
        for r in latest
        if r["dialled_number"] == dialled and r["asterisk_node"] == deployment.instance
    ]
    step.dispositions = dict(Counter(r["disposition"] for r in mine))
    for record in mine:
        path = record["path"]
        if path and path[0].get("action") == "answer":
            waited = path[0].get("after_stasis_start_ms")
            if waited is not None:
                step.answer_ms.append(float(waited))
    missing = len(mine) - len(step.answer_ms)
    if missing:
        step.notes.append(f"{missing} record(s) without after_stasis_start_ms on 'answer'")
    return max([after_id, *(int(r["id"]) for r in latest)])


# --- SIPp ---------------------------------------------------------------------------------
def read_stats(path: Path) -> dict[str, str]:
    """The last line of SIPp's -trace_stat file, by column name."""
    if not path.is_file():
        return {}
    rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
    if len(rows) < 2:
        return {}
    return {name: value for name, value in zip(rows[0], rows[-1], strict=False) if name}


def sipp_duration_ms(value: str) -> float | None:
    """SIPp's ``HH:MM:SS:uuuuuu`` as milliseconds."""
    parts = value.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    hours, minutes, seconds, micros = (int(p) for p in parts)
    return (hours * 3600 + minutes * 60 + seconds) * 1000 + micros / 1000


def read_rtt(workdir: Path) -> list[float]:
    """Per-call INVITE -> 200 OK times (ms) from SIPp's -trace_rtt files."""
    values: list[float] = []
    for path in workdir.glob("*_rtt.csv"):
        for row in csv.reader(path.read_text().splitlines(), delimiter=";"):
            if len(row) >= 2:
                try:
                    values.append(float(row[1]))
                except ValueError:
                    continue  # the header
    return values


def run_step(
    deployment: Deployment, step: Step, workdir: Path, duration: float, index: int
) -> None:
    workdir.mkdir(parents=True)
    # One caller number per call (all valid Finnish mobile numbers), so each call files
    # its own contact and ticket as a stream of distinct callers would.
    callers = [(f"+35840{index:02d}{i:05d}", f"Bench {i}") for i in range(step.placed)]
    stats = workdir / "stats.csv"
    # Long enough for a backlog to clear (a caller waits 30 s for the BYE), short enough
    # that an overloaded step ends the run in reasonable time.
    global_timeout = 2 * duration + 60
    command = Sipp(deployment, workdir).command(
        "caller.xml",
        callers=callers,
        dialled=step.target.dialled(step.rate),
        calls=step.placed,
        rate=step.rate,
        limit=step.placed,  # never throttled by the concurrency limit
    )
    remote = command.pop()
    command += [
        "-timeout",
        f"{global_timeout:.0f}",  # the last -timeout given wins
        "-trace_stat",
        "-stf",
        str(stats),
        "-fd",
        "1",
        "-trace_rtt",
        "-rtt_freq",
        "1",
        "-trace_screen",
        "-screen_file",
        str(workdir / "screen.log"),
        remote,
    ]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=global_timeout + 60,
            check=False,
            cwd=workdir,
        )
        step.exit_code = result.returncode
        output = result.stdout + result.stderr
    except subprocess.TimeoutExpired as exc:
        step.exit_code = None
        captured = exc.stdout or b""
        output = captured.decode(errors="replace") if isinstance(captured, bytes) else captured
        step.notes.append("SIPp did not exit in time; killed")
    step.wall_seconds = time.monotonic() - started
    (workdir / "sipp.out").write_text(output)

    row = read_stats(stats)
    if not row:
        step.notes.append(f"no SIPp statistics (exit {step.exit_code}): {output.strip()[-300:]}")
        step.failed = step.placed
        return
    step.successful = int(row.get("SuccessfulCall(C)", 0))
    step.failed = int(row.get("FailedCall(C)", 0))
    step.created = int(row.get("OutgoingCall(C)", row.get("TotalCallCreated", 0)))
    step.retransmissions = int(row.get("Retransmissions(C)", 0))
    step.call_length_ms = sipp_duration_ms(row.get("CallLength(C)", ""))
    step.failure_reasons = {
        name.removesuffix("(C)"): int(row[name])
        for name in FAILURE_COLUMNS
        if name in row and row[name].isdigit() and int(row[name]) > 0
    }
    if step.successful + step.failed < step.placed:
        step.notes.append(
            f"only {step.successful + step.failed} of {step.placed} calls finished in SIPp"
        )
    step.invite_to_200_ms = read_rtt(workdir)
    errors = workdir / "sipp-errors.log"
    kinds = sipp_error_kinds(errors) if errors.is_file() else Counter()
    if kinds:
        listed = ", ".join(f"{n} x {kind}" for kind, n in kinds.most_common(4))
        step.notes.append(f"SIPp aborted calls: {listed}")


# caller.xml's messages by index, as SIPp numbers them in its error log.
CALLER_MESSAGES = {0: "INVITE", 1: "100", 2: "180", 3: "183", 4: "200 OK", 5: "ACK", 6: "BYE"}


def sipp_error_kinds(path: Path) -> Counter[str]:
    """Why SIPp aborted calls, from its -trace_err log (retransmissions that reach a call
    already over, "dead calls", are not failures and are left out)."""
    text = path.read_text(errors="replace")
    kinds: Counter[str] = Counter()
    for index, status in re.findall(
        r"while expecting '[^']*' \(index (\d+)\), received 'SIP/2\.0 (\d{3}[^\r\n']*)", text
    ):
        kinds[f"unexpected {status.strip()} (expecting {_message(int(index))})"] += 1
    for index in re.findall(r"receive timeout on message [^:]*:(\d+)", text):
        kinds[f"no {_message(int(index))} in time"] += 1
    return kinds


def _message(index: int) -> str:
    return CALLER_MESSAGES.get(index, f"message {index}")


# --- reporting ----------------------------------------------------------------------------
HEADER = (
    f"{'target':<10} {'rate/s':>6} {'placed':>6} {'ok':>6} {'failed':>6} {'wall s':>6} "
    f"{'retrans':>7} {'len ms':>6} {'200 p50':>7} {'200 p99':>7} {'ans p50':>7} "
    f"{'ans p99':>7}  result"
)


def step_line(step: Step) -> str:
    ans50 = fmt_ms(percentile(step.answer_ms, 50)) if step.target.controller else ""
    ans99 = fmt_ms(percentile(step.answer_ms, 99)) if step.target.controller else ""
    return (
        f"{step.target.name:<10} {fmt_rate(step.rate):>6} {step.placed:>6} "
        f"{step.successful:>6} {step.failed:>6} {step.wall_seconds:>6.1f} "
        f"{step.retransmissions:>7} {fmt_ms(step.call_length_ms, 0):>6} "
        f"{fmt_ms(percentile(step.invite_to_200_ms, 50)):>7} "
        f"{fmt_ms(percentile(step.invite_to_200_ms, 99)):>7} {ans50:>7} {ans99:>7}  "
        f"{'pass' if step.passed else 'FAIL'}"
    )


def step_details(step: Step) -> list[str]:
    lines = []
    if step.failure_reasons:
        reasons = ", ".join(f"{k}={v}" for k, v in step.failure_reasons.items())
        lines.append(f"SIPp failures: {reasons}")
    if step.target.controller and step.dispositions:
        lines.append(
            "records: " + ", ".join(f"{k}={v}" for k, v in sorted(step.dispositions.items()))
        )
    if step.exit_code not in (0, None) and not step.passed:
        lines.append(f"SIPp exit code {step.exit_code}")
    lines += step.notes
    return [f"{'':<10} | {line}" for line in lines]


def highest_pass(steps: list[Step], target: Target) -> Step | None:
    passing = [s for s in steps if s.target == target and s.passed]
    return max(passing, key=lambda s: s.rate) if passing else None


def kept_pace(step: Step, duration: float) -> bool:
    """SIPp finished within the step's duration plus a little (no backlog of calls)."""
    return step.wall_seconds <= duration + max(2.0, 0.2 * duration)


def summary(steps: list[Step], duration: float) -> list[str]:
    lines = []
    best: dict[str, Step | None] = {}
    for target in TARGETS:
        mine = [s for s in steps if s.target == target]
        top = highest_pass(steps, target)
        best[target.name] = top
        if not mine:
            lines.append(f"{target.name:<10} not run")
            continue
        if top is None:
            lines.append(f"{target.name:<10} highest zero-failure rate: none")
            continue
        bound = ""
        if all(s.passed for s in mine):
            bound = " (no step failed: a lower bound)"
        lines.append(
            f"{target.name:<10} highest zero-failure rate: {fmt_rate(top.rate)} calls/s{bound}"
        )
        paced = [s for s in mine if s.passed and kept_pace(s, duration)]
        if paced and max(s.rate for s in paced) != top.rate:
            lines.append(
                f"{'':<10} highest zero-failure rate without falling behind: "
                f"{fmt_rate(max(s.rate for s in paced))} calls/s"
            )
    controller, baseline = best["controller"], best["baseline"]
    if controller is not None and baseline is not None:
        ratio = 100 * controller.rate / baseline.rate
        bounded = {
            target.name: all(s.passed for s in steps if s.target == target) for target in TARGETS
        }
        qualifier = ""
        if bounded["baseline"] and not bounded["controller"]:
            qualifier = " (at most: the baseline did not fail)"
        elif bounded["controller"] and not bounded["baseline"]:
            qualifier = " (at least: the controller did not fail)"
        elif bounded["controller"] and bounded["baseline"]:
            qualifier = " (neither failed: not a measured ratio)"
        lines.append(f"controller / baseline: {ratio:.0f} %{qualifier}")
    else:
        lines.append("controller / baseline: n/a")
    if controller is not None:
        lines.append(
            f"StasisStart -> answer at {fmt_rate(controller.rate)} calls/s: "
            f"p50 {fmt_ms(percentile(controller.answer_ms, 50))} ms, "
            f"p99 {fmt_ms(percentile(controller.answer_ms, 99))} ms "
            f"({len(controller.answer_ms)} calls)"
        )
    return lines


_NOISE = re.compile(r"\b[0-9a-f]{8,}\b|\d+")


def log_digest(
    path: Path, levels: tuple[str, ...] = ("WARNING", "ERROR"), top: int = 8
) -> list[str]:
    """The most frequent warning/error lines of an Asterisk log, numbers folded."""
    if not path.is_file():
        return [f"(no {path})"]
    counts: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        match = re.match(r"\[[^\]]*\]\s+(\w+)\[[^\]]*\](?:\[[^\]]*\])?\s+(.*)", line)
        if match and match.group(1) in levels:
            counts[f"{match.group(1)} {_NOISE.sub('N', match.group(2))[:140]}"] += 1
    if not counts:
        return ["(no warnings or errors)"]
    return [f"{n:>6} x {message}" for message, n in counts.most_common(top)]


def switchboard_digest(text: str, top: int = 8) -> list[str]:
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if re.search(r"\b(ERROR|WARNING|CRITICAL)\b|^[\w.]+(Error|Exception)\b", line):
            counts[_NOISE.sub("N", line.strip())[:140]] += 1
    if not counts:
        return ["(no warnings or errors)"]
    return [f"{n:>6} x {message}" for message, n in counts.most_common(top)]


# --- main ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds of calls per step (default 10)"
    )
    parser.add_argument(
        "--rates",
        default=DEFAULT_RATES,
        help=f"rising call rates in calls per second (default {DEFAULT_RATES})",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="database to use (default: a fresh SQLite file in a temporary directory); "
        "a PostgreSQL database should be empty and is not dropped afterwards",
    )
    parser.add_argument(
        "--targets",
        default="controller,baseline",
        help="which targets to run (default controller,baseline)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary directory (SIPp files, logs, a copy of messages.log)",
    )
    args = parser.parse_args(argv)
    try:
        args.rates = sorted({float(r) for r in args.rates.split(",") if r.strip()})
    except ValueError:
        parser.error(f"--rates must be numbers separated by commas: {args.rates!r}")
    if not args.rates or min(args.rates) <= 0:
        parser.error("--rates must be positive")
    names = {t.strip() for t in args.targets.split(",") if t.strip()}
    known = {t.name: t for t in TARGETS}
    if not names or not names <= known.keys():
        parser.error(f"--targets must name some of {', '.join(known)}: {args.targets!r}")
    args.targets = [known[name] for name in names]
    if args.duration <= 0:
        parser.error("--duration must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on SIGTERM
    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    state = tmp / "state"
    state.mkdir()
    database_url = args.database_url or f"sqlite:///{tmp / 'switchboard.db'}"
    deployment = Deployment(
        state_dir=state,
        database_url=database_url,
        instance=f"bench-{os.getpid()}",
        rtp_start=RTP_START,
        extra_env={
            "SWITCHBOARD_ASTERISK__BENCHMARK_BASELINE": "true",
            "SWITCHBOARD_ASTERISK__RTP_END": str(RTP_START + RTP_PORTS - 1),
            "SWITCHBOARD_CALLS__HANDLER": "greeting",  # not the IVR flows
            "SWITCHBOARD_CALLS__GREETING": '["sound:beep"]',
        },
    )
    print("Switchboard call-handling benchmark", flush=True)
    print(f"machine:  {cpu_count()} CPU(s), {cpu_model()}; load average {load_average()}")
    print(f"database: {database_kind(database_url)}")
    print(
        f"plan:     {args.duration:g} s per step at {', '.join(map(fmt_rate, args.rates))} "
        "calls/s; controller dials "
        f"{CONTROLLER_PREFIX}<rate>, baseline dials {BASELINE_NUMBER}",
        flush=True,
    )

    process: SwitchboardProcess | None = None
    steps: list[Step] = []
    asterisk_started = False
    outcome = 0
    try:
        asterisk_started = True
        started = deployment.cli("pbx", "start", timeout=900)
        check(started, "switchboard pbx start")
        check(deployment.cli("db", "upgrade"), "switchboard db upgrade")
        process = SwitchboardProcess(deployment)
        try:
            process.wait_ready()
        except AssertionError:
            tail = "\n".join(process.log().splitlines()[-25:])
            raise SystemExit(
                f"switchboard up did not become ready; the end of its log:\n{tail}"
            ) from None
        with ari(deployment) as client:
            version = client.get("/asterisk/info").json()["system"]["version"]
        print(f"asterisk: {version}")
        print(
            f"instance: {deployment.instance} (SIP 127.0.0.1:{deployment.sip_port}/udp, "
            f"RTP {RTP_START}-{RTP_START + RTP_PORTS - 1}, web :{deployment.web_port})"
        )
        print()
        print(HEADER)
        print("-" * len(HEADER), flush=True)
        try:
            run_steps(deployment, args, tmp, steps)
        except Exception as exc:  # report what was measured before the failure
            outcome = 1
            print(f"benchmark aborted: {type(exc).__name__}: {exc}")

        print()
        print("Summary")
        for line in summary(steps, args.duration):
            print(f"  {line}")
        print(
            f"  machine: {cpu_count()} CPU(s), {cpu_model()}; database: "
            f"{database_kind(database_url)}; load average now {load_average()}"
        )
        print()
        print("Columns: 200 p50/p99 = SIPp's INVITE -> 200 OK (ms, 1 ms resolution); ans")
        print("p50/p99 = the controller's StasisStart -> answer done (after_stasis_start_ms,")
        print("ms); retrans = SIPp retransmissions; len ms = SIPp's mean call length; wall s =")
        print("how long SIPp ran for the step. The baseline's calls are ~0.5 s longer: the")
        print("dialplan's Answer() waits up to 500 ms for a first media frame, SIPp sends none.")
        print()
        directory = instance_dir(deployment)
        messages = directory / "log" / "messages.log" if directory else Path("messages.log")
        print("Asterisk messages.log, most frequent warnings/errors:")
        for line in log_digest(messages):
            print(f"  {line}")
        print("switchboard up log, most frequent warnings/errors:")
        for line in switchboard_digest(process.log()):
            print(f"  {line}")
        sys.stdout.flush()
        return outcome
    finally:
        if process is not None:
            process.stop()
        directory = instance_dir(deployment)
        if args.keep and directory is not None and (directory / "log/messages.log").is_file():
            shutil.copy(directory / "log/messages.log", tmp / "messages.log")
        if asterisk_started and not stop_asterisk(deployment):
            print(f"Asterisk instance {deployment.instance} may still run; left {directory}")
        elif directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run_steps(
    deployment: Deployment, args: argparse.Namespace, tmp: Path, steps: list[Step]
) -> None:
    """Rising rates for both targets; a target stops after its first failing step."""
    watermark = latest_record_id(deployment)
    alive = {target.name: target in args.targets for target in TARGETS}
    index = 0
    for rate in args.rates:
        for target in TARGETS:
            if not alive[target.name]:
                continue
            index += 1
            step = Step(target=target, rate=rate, placed=max(1, round(rate * args.duration)))
            workdir = tmp / f"step-{index:02d}-{target.name}"
            run_step(deployment, step, workdir, args.duration, index)
            steps.append(step)
            if not kept_pace(step, args.duration):
                step.notes.append(
                    f"fell behind: SIPp needed {step.wall_seconds:.1f} s for "
                    f"{args.duration:g} s of calls"
                )
            try:
                settle_channels(deployment, step)
                if target.controller:
                    settle_controller(deployment, step)
                    # A failing step's stragglers are not worth a long wait.
                    timeout = 60 if step.failed == 0 else 20
                    watermark = collect_records(deployment, step, watermark, timeout)
            finally:
                print(step_line(step))
                for line in step_details(step):
                    print(line)
                sys.stdout.flush()
            if not step.passed:
                alive[target.name] = False
        if not any(alive.values()):
            break


if __name__ == "__main__":
    sys.exit(main())
