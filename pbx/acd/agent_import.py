"""Agents in bulk from a CSV file: every line is checked first, then all are added in one
transaction, so a file with any error adds nobody.

Columns (header required): ``extension,name,skills,queues,team,webrtc``; ``skills`` is
``name=level`` pairs separated by ``;``, ``queues`` names separated by ``;``, ``webrtc``
``yes``/``no`` (empty: no). Only ``extension`` and ``name`` are required.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from pbx.acd.directory import EXTENSION, SKILL_NAME, NewAgent
from pbx.acd.errors import Duplicate, InvalidAcdInput
from pbx.acd.models import AcdQueue, AcdTeam, Agent
from pbx.acd.sip_accounts import digest_hash, new_password
from switchboard.db import Database

COLUMNS = ("extension", "name", "skills", "queues", "team", "webrtc")
YES = {"yes", "true", "1", "y"}
NO = {"no", "false", "0", "n", ""}


@dataclass(frozen=True)
class AgentImportError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"


class AgentImportFailed(InvalidAcdInput):
    def __init__(self, errors: list[AgentImportError]) -> None:
        super().__init__(
            f"{len(errors)} error(s), no agent was added:\n" + "\n".join(map(str, errors))
        )
        self.errors = errors


def _skills(text: str, line: int, errors: list[AgentImportError]) -> dict[str, int]:
    skills: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, level = pair.partition("=")
        name = name.strip()
        if not sep or not SKILL_NAME.match(name) or not level.strip().isdigit():
            errors.append(AgentImportError(line, "skills", f"'{pair}' is not NAME=LEVEL"))
        elif not 1 <= int(level) <= 10:
            errors.append(AgentImportError(line, "skills", f"'{pair}': level is not 1-10"))
        else:
            skills[name] = int(level)
    return skills


async def import_agents(db: Database, text: str) -> list[NewAgent]:
    """Add every agent in the CSV ``text``; raises ``AgentImportFailed`` naming each bad
    line and field (and adds nobody)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("extension", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise AgentImportFailed([AgentImportError(1, c, "column is missing") for c in missing])
    unknown = [c for c in reader.fieldnames or [] if c not in COLUMNS]
    if unknown:
        raise AgentImportFailed([AgentImportError(1, c, "unknown column") for c in unknown])
    async with db.session() as session:
        queues = {q.name for q in (await session.exec(select(AcdQueue))).all()}
        teams = {t.name for t in (await session.exec(select(AcdTeam))).all()}
        taken = {a.extension for a in (await session.exec(select(Agent))).all()}
    errors: list[AgentImportError] = []
    seen: dict[str, int] = {}
    new: list[NewAgent] = []
    for row in reader:
        line = reader.line_num
        extension = (row.get("extension") or "").strip()
        name = (row.get("name") or "").strip()
        if not EXTENSION.match(extension):
            errors.append(AgentImportError(line, "extension", f"'{extension}' is not 2-8 digits"))
        elif extension in taken:
            errors.append(AgentImportError(line, "extension", f"{extension} is already an agent"))
        elif extension in seen:
            errors.append(
                AgentImportError(
                    line, "extension", f"{extension} is also on line {seen[extension]}"
                )
            )
        else:
            seen[extension] = line
        if not name:
            errors.append(AgentImportError(line, "name", "is empty"))
        skills = _skills(row.get("skills") or "", line, errors)
        wanted = [q.strip() for q in (row.get("queues") or "").split(";") if q.strip()]
        for queue in wanted:
            if queue not in queues:
                errors.append(AgentImportError(line, "queues", f"no queue is named '{queue}'"))
        team = (row.get("team") or "").strip() or None
        if team is not None and team not in teams:
            errors.append(AgentImportError(line, "team", f"no team is named '{team}'"))
        flag = (row.get("webrtc") or "").strip().lower()
        if flag not in YES | NO:
            errors.append(AgentImportError(line, "webrtc", f"'{flag}' is not yes or no"))
        password = new_password()
        agent = Agent(
            extension=extension,
            name=name,
            sip_md5=digest_hash(extension, password),
            skills=skills,
            queues=list(dict.fromkeys(wanted)),
            team=team,
            webrtc=flag in YES,
        )
        new.append(NewAgent(agent, password))
    if errors:
        raise AgentImportFailed(errors)
    if not new:
        raise AgentImportFailed([AgentImportError(2, "extension", "the file has no agents")])
    try:
        async with db.transaction() as session:
            for created in new:
                session.add(created.agent)
    except IntegrityError as exc:  # added by someone else meanwhile
        raise Duplicate("an extension in the file was added meanwhile; nothing was added") from exc
    return new
