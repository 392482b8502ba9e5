"""``switchboard agent`` and ``switchboard queue``: the ACD's agents and queues."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer

from pbx.acd.agent_import import import_agents
from pbx.acd.directory import AcdDirectory
from pbx.acd.models import AcdQueue, AcdTeam, Agent
from pbx.acd.provisioning import apply_agents
from pbx.acd.recording import set_recording
from pbx.ami import AmiClient
from switchboard.asterisk_access import asterisk_instance, pbx_credentials
from switchboard.cli.common import clear_errors, fail, ready_database, say, settings
from switchboard.db import Database
from switchboard.secrets import load_or_create_secrets

T = TypeVar("T")
agent_app = typer.Typer(help="Agents and their SIP accounts.", no_args_is_help=True)
queue_app = typer.Typer(help="Queues callers wait in for agents.", no_args_is_help=True)
team_app = typer.Typer(help="Teams of agents.", no_args_is_help=True)


def _skills(pairs: list[str]) -> dict[str, int]:
    skills = {}
    for pair in pairs:
        name, sep, level = pair.partition("=")
        if not sep or not level.strip().isdigit():
            fail(f"--skill takes NAME=LEVEL (1-10), e.g. billing=7, not '{pair}'")
        skills[name.strip()] = int(level)
    return skills


def _run(action: Callable[[AcdDirectory], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings().effective_database_url)
        try:
            await ready_database(db)
            return await action(AcdDirectory(db))
        finally:
            await db.close()

    with clear_errors():
        return asyncio.run(run())


async def _apply(directory: AcdDirectory) -> None:
    """Write the agents' PJSIP config and reload it (no restart, calls untouched)."""
    current = settings()
    if current.asterisk.mode == "external":
        say("asterisk.mode is external: add the agents' endpoints to that Asterisk yourself")
        return
    instance = asterisk_instance(current, lambda _message: None)
    etc = instance.host(instance.paths.etc)
    if not etc.is_dir():
        say("Asterisk is not installed yet: the agents apply when it first starts")
        return
    asterisk = current.asterisk
    credentials = pbx_credentials(current, load_or_create_secrets(current.state_dir))
    ami = AmiClient(asterisk.host, asterisk.ami_port, asterisk.ami_user, credentials.ami_secret)
    owner = instance.runtime.user if os.geteuid() == 0 else None
    applied = await apply_agents(directory, etc, ami, owner)
    if applied.reloaded:
        say(f"PJSIP reloaded with {applied.agents} agent(s)")
    else:
        say("Asterisk is not running: the agents apply when it starts")


def _agent_line(agent: Agent) -> str:
    skills = ",".join(f"{k}={v}" for k, v in sorted(agent.skills.items())) or "-"
    queues = ",".join(agent.queues) or "-"
    phone = "\twebrtc" if agent.webrtc else ""
    return (
        f"{agent.extension}\t{agent.name}\tskills {skills}\tqueues {queues}"
        f"\tteam {agent.team or '-'}{phone}"
    )


def _queue_line(queue: AcdQueue) -> str:
    skills = ",".join(f"{k}>={v}" for k, v in sorted(queue.skills.items())) or "-"
    wait = f"{queue.max_wait_seconds}s" if queue.max_wait_seconds else "none"
    overflow = f" -> {queue.overflow_queue}" if queue.overflow_queue else ""
    announce = (
        f"\tannounce every {queue.announce_every_seconds}s" if queue.announce_every_seconds else ""
    )
    if queue.max_callers:
        announce += f"\tat most {queue.max_callers} waiting"
    if queue.leave_when_empty:
        announce += "\tleft when empty"
    if queue.callback_key:
        announce += f"\tcallback key {queue.callback_key}"
    if queue.record:
        announce += "\trecorded"
    if queue.caller_id:
        announce += f"\tcaller ID {queue.caller_id}"
    return (
        f"{queue.name}\tpriority {queue.priority}\tskills {skills}\t"
        f"max wait {wait}{overflow}\twrap-up {queue.wrapup_seconds}s\t"
        f"no answer {queue.no_answer_seconds}s\t{queue.strategy}{announce}"
    )


@agent_app.command("add")
def agent_add(
    extension: str = typer.Argument(..., help="The agent's extension and SIP user name"),
    name: str = typer.Option(..., help="The agent's name"),
    skill: list[str] = typer.Option([], help="NAME=LEVEL (1-10); repeat"),
    queue: list[str] = typer.Option([], help="A queue the agent serves; repeat"),
    team: str | None = typer.Option(None, help="The agent's team"),
    webrtc: bool = typer.Option(
        False, "--webrtc", help="A browser softphone (WebSocket, DTLS-SRTP, opus, ICE)"
    ),
) -> None:
    """Add an agent with a SIP account; its generated password is shown only now."""

    async def add(directory: AcdDirectory) -> str:
        created = await directory.add_agent(
            extension, name, skills=_skills(skill), queues=queue, team=team, webrtc=webrtc
        )
        await _apply(directory)
        return created.password

    password = _run(add)
    say(f"agent {extension} added; SIP user {extension}, password {password} (shown once)")


@agent_app.command("list")
def agent_list() -> None:
    """Every agent: extension, name, skills, queues."""
    for agent in _run(lambda d: d.agents()):
        say(_agent_line(agent))


@agent_app.command("set")
def agent_set(
    extension: str = typer.Argument(...),
    name: str | None = typer.Option(None, help="A new name"),
    skill: list[str] = typer.Option([], help="NAME=LEVEL to add or change; repeat"),
    queue: list[str] | None = typer.Option(None, help="Replace the agent's queues; repeat"),
    new_password: bool = typer.Option(False, "--new-password", help="Generate a new password"),
    team: str | None = typer.Option(None, help="Move to this team ('' for none)"),
    webrtc: bool | None = typer.Option(
        None, "--webrtc/--no-webrtc", help="A browser softphone or a SIP phone"
    ),
) -> None:
    """Change an agent's name, skills, queues, team, phone kind or SIP password."""

    async def change(directory: AcdDirectory) -> tuple[Agent, str]:
        changed = await directory.update_agent(
            extension,
            name=name,
            skills=_skills(skill) if skill else None,
            queues=queue,
            new_secret=new_password,
            team=team,
            webrtc=webrtc,
        )
        await _apply(directory)
        return changed.agent, changed.password

    agent, password = _run(change)
    say(_agent_line(agent))
    if password:
        say(f"new SIP password {password} (shown once)")


@agent_app.command("remove")
def agent_remove(extension: str = typer.Argument(...)) -> None:
    """Remove an agent and its SIP account."""

    async def remove(directory: AcdDirectory) -> None:
        await directory.remove_agent(extension)
        await _apply(directory)

    _run(remove)
    say(f"agent {extension} removed")


@agent_app.command("import")
def agent_import(
    file: Path = typer.Argument(..., help="CSV: extension,name,skills,queues,team,webrtc"),
) -> None:
    """Add agents from a CSV file: all of them, or (on any error) none."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")

    async def add(directory: AcdDirectory) -> list[tuple[str, str]]:
        created = await import_agents(directory.db, text)
        await _apply(directory)
        return [(c.agent.extension, c.password) for c in created]

    created = _run(add)
    for extension, password in created:
        say(f"agent {extension} added; SIP user {extension}, password {password} (shown once)")
    say(f"{len(created)} agent(s) imported")


@agent_app.command("apply")
def agent_apply() -> None:
    """Write every agent's SIP account into Asterisk's config again and reload it."""
    _run(_apply)


@queue_app.command("add")
def queue_add(
    name: str = typer.Argument(...),
    priority: int = typer.Option(0, help="Higher is served first by agents in several queues"),
    skill: list[str] = typer.Option([], help="NAME=LEVEL an agent needs at least; repeat"),
    max_wait: int | None = typer.Option(None, help="Seconds before overflow"),
    max_callers: int | None = typer.Option(
        None, help="Callers waiting at most; later ones overflow (or leave the queue)"
    ),
    leave_when_empty: bool = typer.Option(
        False,
        "--leave-when-empty",
        help="With no agent logged in, callers overflow (or leave) instead of waiting",
    ),
    overflow: str | None = typer.Option(None, help="The queue callers overflow to"),
    wrapup: int = typer.Option(10, help="Seconds of wrap-up after each call"),
    no_answer: int = typer.Option(15, help="Seconds an agent's phone rings before the next"),
    strategy: str = typer.Option(
        "longest_idle", help="longest_idle, round_robin, skills_weighted or ring_all"
    ),
    announce_every: int | None = typer.Option(
        None, help="Seconds between telling waiting callers their place and wait"
    ),
    callback_key: str | None = typer.Option(
        None, help="The key a waiting caller presses to be called back in their place"
    ),
    record: bool = typer.Option(False, "--record", help="Record every answered conversation"),
    caller_id: str = typer.Option(
        "", help="The number customers see on callbacks and agents' calls for the queue"
    ),
) -> None:
    """Add a queue."""
    queue = _run(
        lambda d: d.add_queue(
            name,
            priority=priority,
            skills=_skills(skill),
            max_wait_seconds=max_wait,
            max_callers=max_callers,
            leave_when_empty=leave_when_empty,
            overflow_queue=overflow,
            wrapup_seconds=wrapup,
            no_answer_seconds=no_answer,
            strategy=strategy,
            announce_every_seconds=announce_every,
            callback_key=callback_key,
            record=record,
            caller_id=caller_id,
        )
    )
    say(_queue_line(queue))


@queue_app.command("set")
def queue_set(
    name: str = typer.Argument(...),
    record: bool = typer.Option(
        ..., "--record/--no-record", help="Record answered conversations onto their tickets"
    ),
) -> None:
    """Change a queue's recording policy (for calls answered from now on)."""

    async def change() -> AcdQueue:
        db = Database(settings().effective_database_url)
        try:
            await ready_database(db)
            return await set_recording(db, name, record)
        finally:
            await db.close()

    with clear_errors():
        queue = asyncio.run(change())
    say(_queue_line(queue))


@queue_app.command("list")
def queue_list() -> None:
    """Every queue and its settings."""
    for queue in _run(lambda d: d.queues()):
        say(_queue_line(queue))


@queue_app.command("remove")
def queue_remove(name: str = typer.Argument(...)) -> None:
    """Remove a queue no agent serves."""
    _run(lambda d: d.remove_queue(name))
    say(f"queue {name} removed")


def _team_line(team: AcdTeam, members: list[str]) -> str:
    return f"{team.name}\t{team.description or '-'}\tagents {','.join(members) or '-'}"


@team_app.command("add")
def team_add(
    name: str = typer.Argument(...),
    description: str = typer.Option("", help="What the team does"),
) -> None:
    """Add a team (agents join with `switchboard agent set EXT --team NAME`)."""
    team = _run(lambda d: d.add_team(name, description))
    say(_team_line(team, []))


@team_app.command("list")
def team_list() -> None:
    """Every team and its agents."""
    for team, members in _run(lambda d: d.teams()):
        say(_team_line(team, members))


@team_app.command("remove")
def team_remove(name: str = typer.Argument(...)) -> None:
    """Remove a team no agent belongs to."""
    _run(lambda d: d.remove_team(name))
    say(f"team {name} removed")
