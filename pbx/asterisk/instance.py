"""One Asterisk instance: its folders, configuration, process, and control socket.

Several instances can share one Asterisk root (a running system beside a test run): each
has its own folder, ports and control socket under ``/var/lib/switchboard/<name>``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path, PurePosixPath

from pbx.asterisk.config import InstancePaths, render_config, render_context
from pbx.asterisk.runtime import AsteriskRuntime, Progress
from pbx.media.folders import MediaFolders
from switchboard.ports import ensure_port_free
from switchboard.secrets import Secrets
from switchboard.settings import AsteriskSettings

INSTANCES_ROOT = PurePosixPath("/var/lib/switchboard")


class AsteriskStartError(RuntimeError):
    pass


class AsteriskInstance:
    def __init__(
        self,
        runtime: AsteriskRuntime,
        settings: AsteriskSettings,
        secrets: Secrets,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.secrets = secrets
        self.paths = InstancePaths(INSTANCES_ROOT / settings.instance)

    @property
    def name(self) -> str:
        return self.settings.instance

    def host(self, path: PurePosixPath) -> Path:
        return self.runtime.host_path(path)

    def media_folders(self) -> MediaFolders:
        media = self.paths.lib / "media"
        return MediaFolders(
            host=self.host(media),
            asterisk=media,
            recordings=self.host(self.paths.recordings),
            sound_dirs=tuple(self.runtime.sound_dirs()),
        )

    @property
    def log_file(self) -> Path:
        return self.host(self.paths.log / "messages.log")

    # --- control socket -----------------------------------------------------------
    def _asterisk(self, *args: str) -> list[str]:
        return self.runtime.command("-C", str(self.paths.config_file), *args)

    def cli(self, command: str, timeout: float = 30) -> str:
        """Run a CLI command on the running instance; raises when it is not running."""
        result = subprocess.run(
            self._asterisk("-rx", command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0 or "Unable to connect to remote asterisk" in result.stdout:
            raise AsteriskStartError(
                f"Asterisk instance '{self.name}' is not running "
                f"({(result.stdout + result.stderr).strip() or 'no control socket'})"
            )
        return result.stdout

    def is_running(self) -> bool:
        if not self.host(self.paths.config_file).exists():
            return False
        try:
            self.cli("core show version", timeout=10)
        except (AsteriskStartError, subprocess.TimeoutExpired):
            return False
        return True

    # --- lifecycle --------------------------------------------------------------------
    def prepare(self) -> None:
        """Folders (owned by the asterisk user) and freshly rendered configuration."""
        owner = self.runtime.user if os.geteuid() == 0 else None
        for path in self.paths.all():
            host = self.host(path)
            host.mkdir(parents=True, exist_ok=True)
            if owner is not None:
                os.chown(host, *owner)
        context = render_context(self.settings, self.secrets, self.paths, self.runtime.moh_dir())
        for written in render_config(context, self.host(self.paths.etc)):
            if owner is not None:
                os.chown(written, *owner)

    def start(self, progress: Progress, timeout: float = 60) -> bool:
        """Start the instance as a daemon; False when it was already running."""
        if self.is_running():
            progress(f"Asterisk instance '{self.name}' is already running")
            return False
        self.check_ports()
        self.prepare()
        self._mount_proc()
        args: list[str] = []
        if self.runtime.user is not None and os.geteuid() == 0:
            args += ["-U", "asterisk", "-G", "asterisk"]
        progress(f"starting Asterisk {self.runtime.version} instance '{self.name}'")
        result = subprocess.run(
            self._asterisk(*args), capture_output=True, text=True, check=False, timeout=timeout
        )
        if result.returncode != 0:
            raise AsteriskStartError(
                f"Asterisk failed to start: {(result.stdout + result.stderr).strip()}"
                f"\nSee {self.log_file}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.cli("core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
            except AsteriskStartError:
                time.sleep(0.1)  # the control socket appears a moment after the fork
                continue
            progress(
                f"Asterisk '{self.name}' up: SIP {self.settings.bind_address}:"
                f"{self.settings.sip_port}/udp, ARI http://{self.settings.bind_address}:"
                f"{self.settings.http_port}, AMI {self.settings.bind_address}:"
                f"{self.settings.ami_port}"
            )
            return True
        raise AsteriskStartError(
            f"Asterisk did not finish booting within {timeout:.0f} s; see {self.log_file}"
        )

    def stop(self, timeout: float = 30) -> bool:
        """Stop the instance now (active calls are hung up); False when it was not running."""
        if not self.is_running():
            return False
        pid_file = self.host(self.paths.run / "asterisk.pid")
        pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
        with contextlib.suppress(AsteriskStartError):
            self.cli("core stop now")
        deadline = time.monotonic() + timeout
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid is not None and _alive(pid):
            os.kill(pid, 9)
        return True

    def check_ports(self) -> None:
        """Refuse to start on ports another program holds, naming the port."""
        address = self.settings.bind_address
        for port, kind, label in (
            (self.settings.sip_port, socket.SOCK_DGRAM, "SIP (udp)"),
            (self.settings.http_port, socket.SOCK_STREAM, "ARI/HTTP"),
            (self.settings.ami_port, socket.SOCK_STREAM, "AMI"),
        ):
            ensure_port_free(address, port, kind, label)

    def _mount_proc(self) -> None:
        root = self.runtime.root
        if root is None or (root / "proc" / "self").exists():
            return
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
