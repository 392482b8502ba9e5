"""Running real Switchboard processes, a real Asterisk and SIPp for tests and benchmarks.

Everything here starts real programs on loopback ports of their own, so a test run can
sit beside a running Switchboard. Waiting is always for an observable outcome, polled
with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx

from pbx.asterisk.instance import AsteriskInstance
from pbx.asterisk.runtime import locate_runtime
from switchboard.secrets import load_or_create_secrets
from switchboard.settings import AsteriskSettings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SIPP_DIR = Path(__file__).resolve().parent / "sipp"
T = TypeVar("T")


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP (SIP uses both families of checks)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, other) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def free_media_ports() -> int:
    """An even port P with P..P+3 free over UDP: SIPp's audio and video RTP and RTCP."""
    for _attempt in range(200):
        base = random.randrange(20000, 60000, 2)
        sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
        try:
            for offset, probe in enumerate(sockets):
                probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
        return base
    raise RuntimeError("no free block of four UDP ports for SIPp media")


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or probe}: {last!r}")


@dataclass
class Deployment:
    """The environment of one Switchboard deployment under test (its own ports and state)."""

    state_dir: Path
    database_url: str
    instance: str
    sip_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    http_port: int = field(default_factory=free_port)
    ami_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    rtp_start: int = 31000
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SWITCHBOARD_") and k != "DATABASE_URL"
        }
        env.update(
            {
                "SWITCHBOARD_STATE_DIR": str(self.state_dir),
                "DATABASE_URL": self.database_url,
                "SWITCHBOARD_ASTERISK__INSTANCE": self.instance,
                "SWITCHBOARD_ASTERISK__SIP_PORT": str(self.sip_port),
                "SWITCHBOARD_ASTERISK__HTTP_PORT": str(self.http_port),
                "SWITCHBOARD_ASTERISK__AMI_PORT": str(self.ami_port),
                "SWITCHBOARD_ASTERISK__RTP_START": str(self.rtp_start),
                "SWITCHBOARD_ASTERISK__RTP_END": str(self.rtp_start + 999),
                "SWITCHBOARD_WEB__PORT": str(self.web_port),
                "SWITCHBOARD_LOG_LEVEL": "INFO",
                **self.extra_env,
                **overrides,
            }
        )
        return env

    def cli(self, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "switchboard", *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )

    def secrets(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.state_dir / "secrets.json").read_text())
        return data

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.web_port}",
            headers={"Authorization": f"Bearer {self.secrets()['api_token']}"},
            timeout=10,
        )

    def instance_dir(self) -> Path | None:
        """The instance's folder inside the provisioned Asterisk root, if there is one."""
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        candidate = cache / "switchboard/asterisk-rootfs/var/lib/switchboard" / self.instance
        return candidate if candidate.is_dir() else None

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """The detail of the ticket with this id, found by paging through the list."""
        with self.api() as api:
            cursor = None
            while True:
                params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
                page = api.get("/api/tickets", params=params).json()
                for ticket in page["items"]:
                    if ticket["id"] == ticket_id:
                        detail: dict[str, Any] = api.get(f"/api/tickets/{ticket['number']}").json()
                        return detail
                cursor = page["next_cursor"]
                if cursor is None:
                    raise AssertionError(f"ticket {ticket_id} is not in the list")

    def asterisk(self, command: str) -> str:
        """A command on the deployment's Asterisk console, run as `switchboard pbx cli`
        runs it, without starting a Python process for each one."""
        return _console(self.instance, self.state_dir).cli(command)

    def active_channels(self) -> int:
        out = self.asterisk("core show channels count")
        for line in out.splitlines():
            if "active channel" in line:
                return int(line.split()[0])
        raise AssertionError(f"unexpected output: {out!r}")


class SwitchboardProcess:
    """``switchboard up`` (or another serving command) as a child process."""

    def __init__(
        self, deployment: Deployment, command: Sequence[str] = ("up",), **env: str
    ) -> None:
        self.deployment = deployment
        self.log_path = deployment.state_dir / f"switchboard-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", *command],
            env=deployment.env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"switchboard exited early:\n{self.log()}")
            try:
                health = httpx.get(
                    f"http://127.0.0.1:{self.deployment.web_port}/healthz", timeout=2
                )
            except httpx.TransportError:
                return False
            return health.status_code == 200 and health.json().get("asterisk") == "connected"

        wait_until(ready, timeout=timeout, what="switchboard to be ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def kill(self) -> None:
        """SIGKILL: a crash, no cleanup of any kind."""
        self.process.kill()
        self.process.wait()
        self._log.close()


@cache
def _console(instance: str, state_dir: Path) -> AsteriskInstance:
    """The deployment's Asterisk instance, found the way the CLI finds it (the test
    process has no SWITCHBOARD_* settings of its own, as the deployment's processes)."""
    defaults = load_settings()
    runtime = locate_runtime(defaults.asterisk.mode, defaults.cache_dir)
    assert runtime is not None, "no Asterisk runtime to reach the deployment's console"
    asterisk = AsteriskSettings(instance=instance)
    return AsteriskInstance(runtime, asterisk, load_or_create_secrets(state_dir))


@contextmanager
def running(deployment: Deployment, **env: str) -> Iterator[SwitchboardProcess]:
    process = SwitchboardProcess(deployment, **env)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@dataclass
class Sipp:
    """SIPp as a caller: places calls to the deployment's SIP port."""

    deployment: Deployment
    workdir: Path

    def command(
        self,
        scenario: str,
        *,
        callers: Sequence[tuple[str, str]],
        dialled: str,
        calls: int,
        rate: float = 10,
        limit: int | None = None,
        source_ip: str = "127.0.0.1",
    ) -> list[str]:
        injection = self.workdir / f"callers-{time.monotonic_ns()}.csv"
        injection.write_text(
            "SEQUENTIAL\n" + "".join(f"{number};{name}\n" for number, name in callers)
        )
        return [
            "sipp",
            "-sf",
            str(SIPP_DIR / scenario),
            "-inf",
            str(injection),
            "-s",
            dialled,
            "-m",
            str(calls),
            "-r",
            str(rate),
            "-l",
            str(limit or calls),
            "-i",
            source_ip,
            "-p",
            str(free_port(socket.SOCK_DGRAM)),
            "-mp",
            str(free_media_ports()),
            "-nostdin",
            "-timeout",
            "120",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            str(self.workdir / "sipp-errors.log"),
            f"127.0.0.1:{self.deployment.sip_port}",
        ]

    def run(self, scenario: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(scenario, **kwargs),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=self.workdir,
        )

    def start(self, scenario: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(scenario, **kwargs),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.workdir,
        )
