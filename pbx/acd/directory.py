"""Agents and queues in the database: add, list, change, remove (no telephony here)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from pbx.acd.errors import Duplicate, InvalidAcdInput, UnknownAgent, UnknownQueue, UnknownTeam
from pbx.acd.models import AcdQueue, AcdTeam, Agent
from pbx.acd.sip_accounts import digest_hash, new_password
from switchboard.db import Database

EXTENSION = re.compile(r"^[0-9]{2,8}$")
QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CALLER_ID = re.compile(r"^\+?[0-9]{2,20}$")
SKILL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
KEYS = "0123456789*#"
STRATEGIES = {"longest_idle", "round_robin", "skills_weighted", "ring_all"}


@dataclass(frozen=True)
class NewAgent:
    agent: Agent
    password: str  # shown once; only its digest hash is stored


def _skills(skills: Mapping[str, int]) -> dict[str, int]:
    for name, level in skills.items():
        if not SKILL_NAME.match(name):
            raise InvalidAcdInput(f"skill '{name}': use lowercase letters, digits, - and _")
        if not 1 <= level <= 10:
            raise InvalidAcdInput(f"skill '{name}': level {level} is not between 1 and 10")
    return dict(skills)


def contact_skills(wanted: Sequence[str]) -> dict[str, int]:
    """A caller's needed skills from an IVR queue node: ``name`` (level 1) or
    ``name=level`` / ``name:level``. A malformed entry is skipped (a flow template may
    render anything at run time); the flow's validation names it before it goes live."""
    skills: dict[str, int] = {}
    for entry in wanted:
        name, _sep, level = entry.replace(":", "=").partition("=")
        name = name.strip().lower()
        level = level.strip() or "1"
        if SKILL_NAME.match(name) and level.isdigit() and 1 <= int(level) <= 10:
            skills[name] = max(skills.get(name, 0), int(level))
    return skills


class AcdDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # --- agents -------------------------------------------------------------------
    async def add_agent(
        self,
        extension: str,
        name: str,
        *,
        skills: Mapping[str, int] | None = None,
        queues: Sequence[str] = (),
        team: str | None = None,
        webrtc: bool = False,
    ) -> NewAgent:
        if not EXTENSION.match(extension):
            raise InvalidAcdInput(f"extension '{extension}': use 2 to 8 digits")
        if not name.strip():
            raise InvalidAcdInput("an agent needs a name")
        await self._check_queues(queues)
        await self._check_team(team)
        password = new_password()
        agent = Agent(
            extension=extension,
            name=name.strip(),
            sip_md5=digest_hash(extension, password),
            skills=_skills(skills or {}),
            queues=list(dict.fromkeys(queues)),
            team=team,
            webrtc=webrtc,
        )
        try:
            async with self._db.transaction() as session:
                existing = await session.exec(select(Agent).where(Agent.extension == extension))
                if existing.first() is not None:
                    raise Duplicate(f"extension {extension} already belongs to an agent")
                session.add(agent)
        except IntegrityError as exc:
            raise Duplicate(f"extension {extension} already belongs to an agent") from exc
        return NewAgent(agent, password)

    async def agents(self) -> list[Agent]:
        async with self._db.session() as session:
            rows = await session.exec(select(Agent).order_by(col(Agent.extension)))
            return list(rows.all())

    async def agent(self, extension: str) -> Agent:
        async with self._db.session() as session:
            found = (await session.exec(select(Agent).where(Agent.extension == extension))).first()
        if found is None:
            raise UnknownAgent(f"no agent has extension {extension}")
        return found

    async def update_agent(
        self,
        extension: str,
        *,
        name: str | None = None,
        skills: Mapping[str, int] | None = None,
        queues: Sequence[str] | None = None,
        new_secret: bool = False,
        team: str | None = None,
        webrtc: bool | None = None,
    ) -> NewAgent:
        """Change an agent; ``password`` in the result is empty unless a new one was made.
        ``team=""`` takes the agent out of their team."""
        if queues is not None:
            await self._check_queues(queues)
        await self._check_team(team or None)
        password = new_password() if new_secret else ""
        async with self._db.transaction() as session:
            agent = (await session.exec(select(Agent).where(Agent.extension == extension))).first()
            if agent is None:
                raise UnknownAgent(f"no agent has extension {extension}")
            if name is not None:
                if not name.strip():
                    raise InvalidAcdInput("an agent needs a name")
                agent.name = name.strip()
            if skills is not None:
                agent.skills = {**agent.skills, **_skills(skills)}
            if queues is not None:
                agent.queues = list(dict.fromkeys(queues))
            if new_secret:
                agent.sip_md5 = digest_hash(extension, password)
            if team is not None:
                agent.team = team or None
            if webrtc is not None:
                agent.webrtc = webrtc
            session.add(agent)
        return NewAgent(agent, password)

    async def remove_agent(self, extension: str) -> None:
        async with self._db.transaction() as session:
            agent = (await session.exec(select(Agent).where(Agent.extension == extension))).first()
            if agent is None:
                raise UnknownAgent(f"no agent has extension {extension}")
            await session.delete(agent)

    # --- queues -------------------------------------------------------------------
    async def add_queue(
        self,
        name: str,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        max_wait_seconds: int | None = None,
        max_callers: int | None = None,
        leave_when_empty: bool = False,
        overflow_queue: str | None = None,
        wrapup_seconds: int = 10,
        no_answer_seconds: int = 15,
        strategy: str = "longest_idle",
        announce_every_seconds: int | None = None,
        callback_key: str | None = None,
        record: bool = False,
        caller_id: str = "",
    ) -> AcdQueue:
        if not QUEUE_NAME.match(name):
            raise InvalidAcdInput(f"queue '{name}': use lowercase letters, digits, - and _")
        if strategy not in STRATEGIES:
            raise InvalidAcdInput(
                f"strategy '{strategy}': use one of {', '.join(sorted(STRATEGIES))}"
            )
        if announce_every_seconds is not None and announce_every_seconds < 5:
            raise InvalidAcdInput("announcements need at least 5 s between them")
        if callback_key is not None and (len(callback_key) != 1 or callback_key not in KEYS):
            raise InvalidAcdInput(f"callback key '{callback_key}': use one of 0-9, * or #")
        if caller_id and not CALLER_ID.match(caller_id):
            raise InvalidAcdInput(f"caller ID '{caller_id}': use a number, e.g. +358201234567")
        if overflow_queue is not None:
            await self._check_queues([overflow_queue])
        if max_callers is not None and max_callers < 1:
            raise InvalidAcdInput("a queue's length limit is at least 1 caller")
        if max_wait_seconds is not None and max_wait_seconds < 1:
            raise InvalidAcdInput("a queue's max wait is at least 1 s")
        if wrapup_seconds < 0 or no_answer_seconds < 1:
            raise InvalidAcdInput("wrap-up must be >= 0 s and the no-answer timeout >= 1 s")
        queue = AcdQueue(
            name=name,
            priority=priority,
            skills=_skills(skills or {}),
            max_wait_seconds=max_wait_seconds,
            max_callers=max_callers,
            leave_when_empty=leave_when_empty,
            overflow_queue=overflow_queue,
            wrapup_seconds=wrapup_seconds,
            no_answer_seconds=no_answer_seconds,
            strategy=strategy,
            announce_every_seconds=announce_every_seconds,
            callback_key=callback_key,
            record=record,
            caller_id=caller_id,
        )
        try:
            async with self._db.transaction() as session:
                found = await session.exec(select(AcdQueue).where(AcdQueue.name == name))
                if found.first() is not None:
                    raise Duplicate(f"queue '{name}' already exists")
                session.add(queue)
        except IntegrityError as exc:
            raise Duplicate(f"queue '{name}' already exists") from exc
        return queue

    async def queues(self) -> list[AcdQueue]:
        async with self._db.session() as session:
            rows = await session.exec(select(AcdQueue).order_by(col(AcdQueue.name)))
            return list(rows.all())

    async def remove_queue(self, name: str) -> None:
        async with self._db.transaction() as session:
            queue = (await session.exec(select(AcdQueue).where(AcdQueue.name == name))).first()
            if queue is None:
                raise UnknownQueue(f"no queue is named '{name}'")
            members = await session.exec(select(Agent))
            serving = [a.extension for a in members.all() if name in a.queues]
            if serving:
                raise InvalidAcdInput(
                    f"queue '{name}' is served by agents {', '.join(serving)}: "
                    "move them first (switchboard agent set EXT --queue ...)"
                )
            await session.delete(queue)

    # --- teams --------------------------------------------------------------------
    async def add_team(self, name: str, description: str = "") -> AcdTeam:
        if not QUEUE_NAME.match(name):
            raise InvalidAcdInput(f"team '{name}': use lowercase letters, digits, - and _")
        team = AcdTeam(name=name, description=description.strip())
        try:
            async with self._db.transaction() as session:
                found = await session.exec(select(AcdTeam).where(AcdTeam.name == name))
                if found.first() is not None:
                    raise Duplicate(f"team '{name}' already exists")
                session.add(team)
        except IntegrityError as exc:
            raise Duplicate(f"team '{name}' already exists") from exc
        return team

    async def teams(self) -> list[tuple[AcdTeam, list[str]]]:
        """Every team with its agents' extensions."""
        async with self._db.session() as session:
            teams = list((await session.exec(select(AcdTeam).order_by(col(AcdTeam.name)))).all())
            agents = list((await session.exec(select(Agent).order_by(col(Agent.extension)))).all())
        return [(t, [a.extension for a in agents if a.team == t.name]) for t in teams]

    async def remove_team(self, name: str) -> None:
        async with self._db.transaction() as session:
            team = (await session.exec(select(AcdTeam).where(AcdTeam.name == name))).first()
            if team is None:
                raise UnknownTeam(f"no team is named '{name}'")
            members = await session.exec(select(Agent).where(Agent.team == name))
            extensions = [a.extension for a in members.all()]
            if extensions:
                raise InvalidAcdInput(
                    f"team '{name}' has agents {', '.join(extensions)}: "
                    "move them first (switchboard agent set EXT --team ...)"
                )
            await session.delete(team)

    async def _check_team(self, name: str | None) -> None:
        if name is None:
            return
        async with self._db.session() as session:
            found = (await session.exec(select(AcdTeam).where(AcdTeam.name == name))).first()
        if found is None:
            raise UnknownTeam(f"no team is named '{name}' (switchboard team add {name})")

    async def _check_queues(self, names: Sequence[str]) -> None:
        if not names:
            return
        known = {q.name for q in await self.queues()}
        missing = [n for n in names if n not in known]
        if missing:
            raise UnknownQueue(f"no queue is named {', '.join(repr(n) for n in missing)}")
