"""Applying the agents in the database to Asterisk: render, write, reload PJSIP over AMI.

A reload changes only configuration: calls in progress are not touched, and Asterisk is
never restarted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pbx.acd.directory import AcdDirectory
from pbx.acd.sip_accounts import render_agents, write_agents_config
from pbx.ami import AmiAuthError, AmiClient, AmiError


@dataclass(frozen=True)
class Applied:
    path: Path
    agents: int
    reloaded: bool  # False when Asterisk was not reachable (applies at its next start)


async def apply_agents(
    directory: AcdDirectory,
    etc_dir: Path,
    ami: AmiClient | None,
    owner: tuple[int, int] | None = None,
) -> Applied:
    agents = await directory.agents()
    path = write_agents_config(render_agents(agents), etc_dir, owner)
    if ami is None:
        return Applied(path, len(agents), reloaded=False)
    try:
        await ami.connect()
    except AmiAuthError:
        raise
    except AmiError:
        return Applied(path, len(agents), reloaded=False)
    try:
        await ami.reload("res_pjsip.so")
    finally:
        ami.close()
    return Applied(path, len(agents), reloaded=True)
