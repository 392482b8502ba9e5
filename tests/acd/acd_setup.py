"""Queues and agents for one ACD test module, provisioned through the directory and
applied to the session's Asterisk the way the CLI does it; and reading the queue log."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from pbx.acd.directory import AcdDirectory
from pbx.acd.errors import AcdError
from pbx.acd.models import QueueEvent
from pbx.acd.provisioning import apply_agents
from pbx.ami import AmiClient
from switchboard.db import Database
from switchboard.settings import async_database_url
from tests.acd.sipp_agent import SippAgent
from tests.harness import Deployment, wait_until

AgentSpec = dict[str, Any]  # extension -> {"queues": [...], "skills": {...}}


async def provision(
    deployment: Deployment,
    queues: dict[str, dict[str, Any]],
    agents: dict[str, AgentSpec],
    *,
    remove: bool = False,
) -> dict[str, str]:
    db = Database(async_database_url(deployment.database_url))
    directory = AcdDirectory(db)
    created: dict[str, str] = {}
    try:
        if remove:
            for extension in agents:
                with contextlib.suppress(AcdError):
                    await directory.remove_agent(extension)
            for name in reversed(queues):
                with contextlib.suppress(AcdError):
                    await directory.remove_queue(name)
        else:
            for name, options in queues.items():
                await directory.add_queue(name, **options)
            for extension, spec in agents.items():
                added = await directory.add_agent(extension, f"Agent {extension}", **spec)
                created[extension] = added.password
        instance = deployment.instance_dir()
        assert instance is not None
        ami = AmiClient(
            "127.0.0.1", deployment.ami_port, "switchboard", deployment.secrets()["ami_secret"]
        )
        stat = (instance / "etc").stat()
        applied = await apply_agents(directory, instance / "etc", ami, (stat.st_uid, stat.st_gid))
        assert applied.reloaded
    finally:
        await db.close()
    return created


def queue_log(deployment: Deployment, **where: str) -> list[QueueEvent]:
    async def query() -> list[QueueEvent]:
        db = Database(async_database_url(deployment.database_url))
        try:
            async with db.session() as session:
                statement = select(QueueEvent).order_by(col(QueueEvent.id))
                for field, value in where.items():
                    statement = statement.where(getattr(QueueEvent, field) == value)
                return list((await session.exec(statement)).all())
        finally:
            await db.close()

    return asyncio.run(query())


def events(deployment: Deployment, queue: str) -> list[tuple[str, str]]:
    return [(e.event, e.agent) for e in queue_log(deployment, queue=queue)]


def agent_states(deployment: Deployment, extension: str) -> list[str]:
    rows = queue_log(deployment, event="agent_state", agent=extension)
    return [str(e.data.get("state")) for e in rows]


def phones(
    deployment: Deployment,
    workdir: Path,
    passwords: dict[str, str],
    *spec: tuple[str, bool],
    talk: tuple[float, float] | None = None,
) -> list[SippAgent]:
    """Start phones one after another, each logged in (ready) before the next; with
    ``talk`` the agents hang up themselves after that long. The queue log is per session
    database, so each test module gives its agents extensions no other module uses."""
    started: list[SippAgent] = []
    try:
        for extension, answer in spec:
            phone = SippAgent(
                deployment, workdir, extension, passwords[extension], answer=answer, talk=talk
            )
            started.append(phone)
            wait_until(
                lambda ext=extension: agent_states(deployment, ext)[-1:] == ["ready"],
                timeout=60,
                what=f"agent {extension} to be logged in and ready",
            )
    except BaseException:
        for phone in started:
            phone.stop()
        raise
    return started


def finished(process: Any, timeout: float = 90) -> None:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-3000:]
