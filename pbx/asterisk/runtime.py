"""Where the Asterisk binary comes from: the system's, or a Debian sid root we provision.

Debian 12 has no Asterisk package, so when no Asterisk 20+ is on PATH Switchboard builds
a minimal Debian sid root with ``debootstrap`` under its cache dir and runs Asterisk 22
from there with ``chroot``. It shares the host's network, so SIP/ARI/AMI on 127.0.0.1
work as with a system install. A second run finds the root ready and reuses it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MIN_VERSION = 20
PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-gsm",
    "asterisk-moh-opsound-gsm",
)
MARKER = ".switchboard-rootfs"

Progress = Callable[[str], None]


class AsteriskUnavailable(RuntimeError):
    """No usable Asterisk, and none could be provisioned; the message says how to get one."""


@dataclass(frozen=True)
class AsteriskRuntime:
    """An Asterisk binary and the file system it sees (``root`` is None for the host's)."""

    root: Path | None
    version: str

    def command(self, *args: str) -> list[str]:
        if self.root is None:
            return ["asterisk", *args]
        return ["chroot", str(self.root), "asterisk", *args]

    def host_path(self, path: PurePosixPath) -> Path:
        """A path as Asterisk sees it, mapped to the host."""
        if self.root is None:
            return Path(path)
        return self.root / path.relative_to("/")

    def sound_dirs(self) -> list[Path]:
        """Directories holding the English core prompts (the language-neutral fallback)."""
        base = self.host_path(PurePosixPath("/usr/share/asterisk/sounds"))
        return [p for p in (base / "en_US_f_Allison", base / "en") if p.is_dir()]

    def moh_dir(self) -> PurePosixPath:
        """Where the music-on-hold files are, as Asterisk sees it."""
        for candidate in ("/usr/share/asterisk/moh", "/var/lib/asterisk/moh"):
            if self.host_path(PurePosixPath(candidate)).is_dir():
                return PurePosixPath(candidate)
        return PurePosixPath("/usr/share/asterisk/moh")

    @property
    def user(self) -> tuple[int, int] | None:
        """The uid/gid of the ``asterisk`` user Asterisk runs as (None: run as invoked)."""
        passwd = self.host_path(PurePosixPath("/etc/passwd"))
        for line in passwd.read_text().splitlines():
            fields = line.split(":")
            if fields[0] == "asterisk":
                return int(fields[2]), int(fields[3])
        return None


def parse_version(output: str) -> tuple[int, str]:
    match = re.search(r"Asterisk\s+(\d+)\.(\S+)", output)
    if not match:
        raise AsteriskUnavailable(f"cannot read an Asterisk version from {output.strip()!r}")
    return int(match.group(1)), f"{match.group(1)}.{match.group(2)}"


def system_runtime() -> AsteriskRuntime | None:
    """The Asterisk on PATH when it is version 20 or newer."""
    if shutil.which("asterisk") is None:
        return None
    result = subprocess.run(["asterisk", "-V"], capture_output=True, text=True, check=False)
    major, version = parse_version(result.stdout + result.stderr)
    return AsteriskRuntime(root=None, version=version) if major >= MIN_VERSION else None


def rootfs_runtime(root: Path) -> AsteriskRuntime | None:
    """The provisioned root when it is complete (its marker is written last)."""
    marker = root / MARKER
    if not marker.is_file():
        return None
    return AsteriskRuntime(root=root, version=marker.read_text().splitlines()[0].strip())


def _write_marker(root: Path, version: str) -> None:
    (root / MARKER).write_text(f"{version}\n")


def _missing_packages(root: Path) -> list[str]:
    """Packages this version of Switchboard needs that the root does not have yet."""
    info = root / "var/lib/dpkg/info"
    return [
        p for p in PACKAGES if not any(info.glob(f"{p}.list")) and not any(info.glob(f"{p}:*.list"))
    ]


def _add_packages(root: Path, packages: list[str], progress: Progress) -> None:
    """Install packages a newer Switchboard needs into an existing root."""
    _require_root("adding packages to the Asterisk root")
    progress(f"adding {', '.join(packages)} to {root}")
    if not (root / "proc" / "self").exists():
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # The mirror may serve a Release file past its Valid-Until date; debootstrap ignores
    # that too, and the packages are still verified against the signed index.
    apt = ["apt-get", "-o", "Acquire::Check-Valid-Until=false", "-q"]
    for command in ([*apt, "update"], [*apt, "install", "-y", *packages]):
        result = subprocess.run(
            ["chroot", str(root), *command], capture_output=True, text=True, env=env, check=False
        )
        if result.returncode != 0:
            raise AsteriskUnavailable(
                f"could not add {', '.join(packages)} to {root}:\n{result.stderr.strip()}"
            )


@contextmanager
def _provisioning_lock(root: Path, progress: Progress) -> Iterator[None]:
    """One provisioner per root: a second run (say scripts/run beside scripts/test) waits."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(root.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another run that is provisioning {root}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def provision_rootfs(root: Path, mirror: str, suite: str, progress: Progress) -> AsteriskRuntime:
    """Build the Debian root with Asterisk; idempotent, and safe to re-run after a failure."""
    with _provisioning_lock(root, progress):
        return _provision_locked(root, mirror, suite, progress)


def _provision_locked(root: Path, mirror: str, suite: str, progress: Progress) -> AsteriskRuntime:
    existing = rootfs_runtime(root)
    if existing is not None:
        missing = _missing_packages(root)
        if missing:
            _add_packages(root, missing, progress)
            _write_marker(root, existing.version)
        progress(f"Asterisk {existing.version} already provisioned in {root}")
        return existing
    _require_provisioning_tools(progress)
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        progress(f"removing an unfinished earlier attempt at {partial}")
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    progress(
        f"provisioning Asterisk from Debian {suite} into {root} "
        "(about a minute and 500 MB; done once)"
    )
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        suite,
        str(partial),
        mirror,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        tail = [*tail[-20:], line.rstrip()]
        if line.startswith(
            ("I: Retrieving Release", "I: Installing core", "I: Configuring asterisk ", "I: Base")
        ):
            progress("  " + line.strip())
    if process.wait() != 0:
        raise AsteriskUnavailable(
            "debootstrap could not build the Asterisk root:\n  "
            + "\n  ".join(tail)
            + f"\nCheck that {mirror} is reachable, or install Asterisk 20+ yourself "
            "and set SWITCHBOARD_ASTERISK__MODE=system."
        )
    result = subprocess.run(
        ["chroot", str(partial), "asterisk", "-V"], capture_output=True, text=True, check=False
    )
    _major, version = parse_version(result.stdout + result.stderr)
    _write_marker(partial, version)
    if root.exists():
        shutil.rmtree(root)
    partial.rename(root)
    progress(f"Asterisk {version} provisioned in {root}")
    return AsteriskRuntime(root=root, version=version)


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise AsteriskUnavailable(
            f"{what} needs root (debootstrap, chroot): run this command as root, or install "
            "Asterisk 20+ and set SWITCHBOARD_ASTERISK__MODE=system"
        )


def _require_provisioning_tools(progress: Progress) -> None:
    _require_root("no Asterisk 20+ on PATH, and provisioning one")
    if shutil.which("debootstrap") is None:
        if shutil.which("apt-get") is None:
            raise AsteriskUnavailable(
                "no Asterisk 20+ on PATH and no debootstrap to provision one: install "
                "Asterisk 20+ (SWITCHBOARD_ASTERISK__MODE=system) or debootstrap"
            )
        progress("installing debootstrap (apt-get)")
        result = subprocess.run(
            ["apt-get", "install", "-y", "-q", "debootstrap"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        if result.returncode != 0:
            raise AsteriskUnavailable(
                "no Asterisk 20+ on PATH, and installing debootstrap failed:\n"
                + result.stderr.strip()
            )


def locate_runtime(mode: str, cache_dir: Path) -> AsteriskRuntime | None:
    """The Asterisk ``mode`` would use, without provisioning anything."""
    if mode in ("auto", "system"):
        found = system_runtime()
        if found is not None or mode == "system":
            return found
    if mode == "external":
        return None
    return rootfs_runtime(cache_dir / "asterisk-rootfs")


def resolve_runtime(
    mode: str, cache_dir: Path, mirror: str, suite: str, progress: Progress
) -> AsteriskRuntime:
    """Pick the Asterisk for ``mode`` (auto, system, managed), provisioning if needed."""
    if mode in ("auto", "system"):
        found = system_runtime()
        if found is not None:
            return found
        if mode == "system":
            raise AsteriskUnavailable(
                "SWITCHBOARD_ASTERISK__MODE=system but no Asterisk 20+ is on PATH: install it "
                "(Debian sid/trixie-backports, Ubuntu: apt-get install asterisk) or use "
                "mode=auto to let Switchboard provision Asterisk 22"
            )
    return provision_rootfs(cache_dir / "asterisk-rootfs", mirror, suite, progress)
