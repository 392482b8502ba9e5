"""Managing automation rules, and their YAML export and import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from sqlmodel import select

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.automation.models import Rule
from ticketing.automation.rules import check_rule
from ticketing.errors import Conflict, InvalidInput, NotFound

EXPORTED = ("name", "event", "conditions", "actions", "position", "active")


class RuleService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        actor: Principal,
        *,
        name: str,
        event: str,
        conditions: Sequence[Any],
        actions: Sequence[Any],
        position: int = 0,
        active: bool = True,
        rule_id: int | None = None,
    ) -> Rule:
        """Create a rule, or replace rule ``rule_id``."""
        checked = check_rule(event, conditions, actions)
        if not name.strip():
            raise InvalidInput("a rule needs a name")
        async with self.db.transaction() as session:
            clash = (await session.exec(select(Rule).where(Rule.name == name.strip()))).first()
            if clash is not None and clash.id != rule_id:
                raise Conflict(f"a rule named {name.strip()!r} already exists")
            rule = Rule() if rule_id is None else await session.get(Rule, rule_id)
            if rule is None:
                raise NotFound(f"rule {rule_id} not found")
            before = snapshot(rule) if rule_id is not None else None
            rule.name, rule.event, rule.position, rule.active = (
                name.strip(),
                event,
                position,
                active,
            )
            rule.conditions = [c.model_dump() for c in checked.conditions]
            rule.actions = [a.model_dump() for a in checked.actions]
            rule.updated_at = utcnow()
            session.add(rule)
            await session.flush()
            action = "rule.create" if rule_id is None else "rule.update"
            audit(session, actor, action, "rule", rule.id, before=before, after=snapshot(rule))
            return rule

    async def delete(self, actor: Principal, rule_id: int) -> None:
        async with self.db.transaction() as session:
            rule = await session.get(Rule, rule_id)
            if rule is None:
                raise NotFound(f"rule {rule_id} not found")
            audit(session, actor, "rule.delete", "rule", rule_id, before=snapshot(rule))
            await session.delete(rule)

    async def list(self) -> list[Rule]:
        async with self.db.session() as session:
            statement = select(Rule).order_by(Rule.position, Rule.id)  # type: ignore[arg-type]
            return list((await session.exec(statement)).all())

    async def export_yaml(self) -> str:
        rules = [{k: getattr(r, k) for k in EXPORTED} for r in await self.list()]
        return yaml.safe_dump({"rules": rules}, sort_keys=False, allow_unicode=True)

    async def import_yaml(self, actor: Principal, text: str) -> list[Rule]:
        """Create or replace (by name) every rule in the document."""
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"not YAML: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
            raise InvalidInput("expected a mapping with a 'rules' list")
        existing = {r.name: r.id for r in await self.list()}
        saved = []
        for number, item in enumerate(document["rules"], start=1):
            if not isinstance(item, dict) or set(item) - set(EXPORTED):
                raise InvalidInput(f"rule {number}: keys are {', '.join(EXPORTED)}")
            name = str(item.get("name", ""))
            saved.append(
                await self.save(
                    actor,
                    name=name,
                    event=str(item.get("event", "")),
                    conditions=item.get("conditions") or [],
                    actions=item.get("actions") or [],
                    position=int(item.get("position", 0)),
                    active=bool(item.get("active", True)),
                    rule_id=existing.get(name),
                )
            )
        return saved
