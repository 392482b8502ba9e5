"""Agents' SIP accounts: passwords, digest hashes, and the generated ``pjsip_agents.conf``."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pbx.acd.models import Agent
from switchboard.resources import resource_dir

REALM = "switchboard"
CONFIG_NAME = "pjsip_agents.conf"
QUALIFY_SECONDS = 30


def new_password() -> str:
    """A SIP password a person can type into a desk phone: 20 URL-safe characters."""
    return secrets.token_urlsafe(15)


def digest_hash(extension: str, password: str) -> str:
    """What PJSIP's ``md5_cred`` holds: md5(username:realm:password)."""
    return hashlib.md5(f"{extension}:{REALM}:{password}".encode()).hexdigest()


def render_agents(agents: Sequence[Agent]) -> str:
    env = Environment(
        loader=FileSystemLoader(resource_dir("asterisk_conf") / "agents"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    rows = [
        {
            "extension": agent.extension,
            "sip_md5": agent.sip_md5,
            "display_name": "".join(c for c in agent.name if c not in '"<>\\\r\n'),
            "webrtc": agent.webrtc,
        }
        for agent in sorted(agents, key=lambda a: a.extension)
    ]
    return env.get_template(f"{CONFIG_NAME}.j2").render(
        agents=rows, realm=REALM, qualify_seconds=QUALIFY_SECONDS
    )


def write_agents_config(text: str, etc_dir: Path, owner: tuple[int, int] | None) -> Path:
    """Replace the file atomically, readable by the Asterisk user only."""
    target = etc_dir / CONFIG_NAME
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    if owner is not None:
        os.chown(tmp, *owner)
    tmp.replace(target)
    return target
