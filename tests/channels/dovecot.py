"""A real IMAP server for tests: Debian's Dovecot with a throwaway configuration, on a
free loopback port, one mailbox user, started and stopped by the fixture."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness import free_port, wait_until

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "desk", "mailbox-password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = sbtest-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int
    root: Path

    def append(self, raw: bytes) -> None:
        """Deliver a message into the user's INBOX, as a mail server would."""
        mailbox = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            mailbox.login(USER, PASSWORD)
            status, _ = mailbox.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            mailbox.logout()

    def flags(self) -> list[str]:
        mailbox = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            mailbox.login(USER, PASSWORD)
            mailbox.select("INBOX")
            _, data = mailbox.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if isinstance(item, bytes)]
        finally:
            mailbox.logout()


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    # Dovecot's login processes drop to an unprivileged user, so the tree must be
    # traversable; as root the mail belongs to the 'dovecot' user (uid 0 is refused).
    root = Path(tempfile.mkdtemp(prefix="sb-dovecot-"))
    root.chmod(0o755)
    if os.getuid() == 0:
        owner = pwd.getpwnam("dovecot")
        uid, gid, internal, login = owner.pw_uid, owner.pw_gid, "dovecot", "dovenull"
    else:
        uid, gid = os.getuid(), os.getgid()
        internal = login = pwd.getpwuid(uid).pw_name
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir()
    for folder in ("mail", "home"):
        os.chown(root / folder, uid, gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(root=root, port=port, uid=uid, gid=gid, internal=internal, login=login)
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: _accepts(port, process), timeout=15, what="dovecot listening")
        yield Dovecot(port, root)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _accepts(port: int, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"dovecot exited: {process.stderr.read() if process.stderr else ''}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True
