"""Teams and categories: creating, changing and listing them; every change audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from ticketing.access.models import User
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.catalog.fields import (
    CategoryField,
    FieldDefinition,
    check_definitions,
    definitions_for,
)
from ticketing.catalog.models import CATEGORY_LEVELS, Category, Team, TeamMember
from ticketing.errors import Conflict, InvalidInput, NotFound

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class TeamDetail:
    team: Team
    member_ids: list[int]


@dataclass(frozen=True)
class CategoryView:
    """A category as people see it (names) and as reports count it (codes)."""

    category: Category
    names: list[str]  # from the type down to this node
    codes: list[str]


class CatalogService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- teams ---------------------------------------------------------------------------

    async def create_team(
        self, actor: Principal, name: str, description: str = "", member_ids: Sequence[int] = ()
    ) -> TeamDetail:
        async with self.db.transaction() as session:
            name = name.strip()
            if not name:
                raise InvalidInput("a team needs a name")
            if (await session.exec(select(Team).where(Team.name == name))).first():
                raise Conflict(f"a team named {name!r} already exists")
            team = Team(name=name, description=description.strip())
            session.add(team)
            await session.flush()
            assert team.id is not None
            await _set_members(session, team.id, member_ids)
            detail = await _team(session, team.id)
            audit(session, actor, "team.create", "team", team.id, after=_team_snap(detail))
            return detail

    async def update_team(
        self,
        actor: Principal,
        team_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        member_ids: Sequence[int] | None = None,
    ) -> TeamDetail:
        async with self.db.transaction() as session:
            before = _team_snap(await _team(session, team_id))
            team = await session.get(Team, team_id)
            assert team is not None
            if name is not None and name.strip() != team.name:
                clash = (await session.exec(select(Team).where(Team.name == name.strip()))).first()
                if clash is not None:
                    raise Conflict(f"a team named {name.strip()!r} already exists")
                team.name = name.strip()
            if description is not None:
                team.description = description.strip()
            session.add(team)
            if member_ids is not None:
                await _set_members(session, team_id, member_ids)
            await session.flush()
            detail = await _team(session, team_id)
            audit(
                session,
                actor,
                "team.update",
                "team",
                team_id,
                before=before,
                after=_team_snap(detail),
            )
            return detail

    async def teams(self) -> list[TeamDetail]:
        async with self.db.session() as session:
            teams = (await session.exec(select(Team).order_by(Team.name))).all()  # type: ignore[arg-type]
            return [await _team(session, t.id) for t in teams if t.id is not None]

    async def team(self, team_id: int) -> TeamDetail:
        async with self.db.session() as session:
            return await _team(session, team_id)

    async def team_by_name(self, name: str) -> Team:
        async with self.db.session() as session:
            team = (await session.exec(select(Team).where(Team.name == name))).first()
            if team is None:
                raise NotFound(f"no team named {name!r}")
            return team

    # -- categories ----------------------------------------------------------------------

    async def create_category(
        self, actor: Principal, *, code: str, name: str, parent_id: int | None = None
    ) -> CategoryView:
        async with self.db.transaction() as session:
            category = await add_category(session, code=code, name=name, parent_id=parent_id)
            audit(
                session, actor, "category.create", "category", category.id, after=snapshot(category)
            )
            return await _view(session, category)

    async def update_category(
        self,
        actor: Principal,
        category_id: int,
        *,
        name: str | None = None,
        active: bool | None = None,
    ) -> CategoryView:
        async with self.db.transaction() as session:
            category = await _category(session, category_id)
            before = snapshot(category)
            if name is not None:
                if not name.strip():
                    raise InvalidInput("a category needs a name")
                category.name = name.strip()
            if active is not None:
                category.active = active
            session.add(category)
            await session.flush()
            audit(
                session,
                actor,
                "category.update",
                "category",
                category_id,
                before=before,
                after=snapshot(category),
            )
            return await _view(session, category)

    async def import_categories(
        self, actor: Principal, rows: Sequence[tuple[str, str]]
    ) -> tuple[int, int]:
        """Create missing categories and rename existing ones, by path, in one
        transaction; (created, renamed). Parents must come before their children."""
        created = renamed = 0
        async with self.db.transaction() as session:
            for path, name in rows:
                existing = (
                    await session.exec(select(Category).where(Category.path == path))
                ).first()
                if existing is not None:
                    if existing.name != name:
                        before = snapshot(existing)
                        existing.name = name
                        session.add(existing)
                        audit(
                            session,
                            actor,
                            "category.update",
                            "category",
                            existing.id,
                            before=before,
                            after=snapshot(existing),
                        )
                        renamed += 1
                    continue
                parent_path, _, code = path.rpartition("/")
                parent_id = None
                if parent_path:
                    parent = (
                        await session.exec(select(Category).where(Category.path == parent_path))
                    ).first()
                    if parent is None:
                        raise InvalidInput(f"{path}: its parent {parent_path} is not defined")
                    parent_id = parent.id
                category = await add_category(session, code=code, name=name, parent_id=parent_id)
                audit(
                    session,
                    actor,
                    "category.create",
                    "category",
                    category.id,
                    after=snapshot(category),
                )
                created += 1
        return created, renamed

    async def categories(self, *, include_inactive: bool = False) -> list[CategoryView]:
        async with self.db.session() as session:
            statement = select(Category).order_by(Category.path)  # type: ignore[arg-type]
            rows = list((await session.exec(statement)).all())
        by_path = {c.path: c for c in rows}
        views = []
        for category in rows:
            if not include_inactive and not category.active:
                continue
            codes = category.path.split("/")
            names = [by_path["/".join(codes[: i + 1])].name for i in range(len(codes))]
            views.append(CategoryView(category, names, codes))
        return views

    async def category(self, category_id: int) -> CategoryView:
        async with self.db.session() as session:
            return await _view(session, await _category(session, category_id))

    # -- custom fields -------------------------------------------------------------------

    async def fields(self, category_id: int) -> list[CategoryField]:
        """The fields tickets in this category carry: the ones above it first."""
        async with self.db.session() as session:
            await _category(session, category_id)
            return await definitions_for(session, category_id)

    async def set_fields(
        self, actor: Principal, category_id: int, fields: Sequence[FieldDefinition]
    ) -> list[CategoryField]:
        """Replace the category's own field definitions (stored values are kept)."""
        async with self.db.transaction() as session:
            await _category(session, category_id)
            current = await definitions_for(session, category_id)
            own = [f for f in current if f.category_id == category_id]
            inherited = {f.name for f in current if f.category_id != category_id}
            rows = [
                CategoryField(
                    category_id=category_id,
                    position=i,
                    name=f.name,
                    label=f.label.strip(),
                    type=f.type,
                    required=f.required,
                    choices=[c.strip() for c in f.choices],
                )
                for i, f in enumerate(fields)
            ]
            check_definitions(rows)
            clash = sorted(inherited & {r.name for r in rows})
            if clash:
                raise InvalidInput(f"field {clash[0]!r} is already defined by a parent category")
            before = {"fields": [snapshot(f) for f in own]}
            await session.exec(
                delete(CategoryField).where(CategoryField.category_id == category_id)  # type: ignore[arg-type]
            )
            await session.flush()
            session.add_all(rows)
            await session.flush()
            after = {"fields": [snapshot(f) for f in rows]}
            audit(
                session,
                actor,
                "category.fields",
                "category",
                category_id,
                before=before,
                after=after,
            )
            return await definitions_for(session, category_id)


async def add_category(
    session: AsyncSession, *, code: str, name: str, parent_id: int | None
) -> Category:
    """Insert one node under ``parent_id``; the path must be new."""
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(f"category code {code!r} must be 1-32 letters, digits, '_' or '-'")
    if not name.strip():
        raise InvalidInput("a category needs a name")
    level, path = 0, code
    if parent_id is not None:
        parent = await _category(session, parent_id)
        level, path = parent.level + 1, f"{parent.path}/{code}"
        if level >= len(CATEGORY_LEVELS):
            raise InvalidInput(
                f"categories have {len(CATEGORY_LEVELS)} levels ({', '.join(CATEGORY_LEVELS)}); "
                f"{parent.path} is a {CATEGORY_LEVELS[parent.level]}, which has no children"
            )
    if (await session.exec(select(Category).where(Category.path == path))).first():
        raise Conflict(f"category {path} already exists")
    category = Category(code=code, name=name.strip(), parent_id=parent_id, level=level, path=path)
    session.add(category)
    await session.flush()
    return category


async def _category(session: AsyncSession, category_id: int) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound(f"category {category_id} not found")
    return category


async def _view(session: AsyncSession, category: Category) -> CategoryView:
    codes = category.path.split("/")
    paths = ["/".join(codes[: i + 1]) for i in range(len(codes))]
    rows = (await session.exec(select(Category).where(Category.path.in_(paths)))).all()  # type: ignore[attr-defined]
    names = {c.path: c.name for c in rows}
    return CategoryView(category, [names[p] for p in paths], codes)


async def _set_members(session: AsyncSession, team_id: int, member_ids: Sequence[int]) -> None:
    wanted = sorted(set(member_ids))
    if wanted:
        found = (await session.exec(select(User.id).where(User.id.in_(wanted)))).all()  # type: ignore[union-attr]
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise InvalidInput(f"no such users: {', '.join(map(str, missing))}")
    await session.exec(delete(TeamMember).where(TeamMember.team_id == team_id))  # type: ignore[arg-type]
    for user_id in wanted:
        session.add(TeamMember(team_id=team_id, user_id=user_id))
    await session.flush()


async def _team(session: AsyncSession, team_id: int) -> TeamDetail:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found")
    members = await session.exec(
        select(TeamMember.user_id).where(TeamMember.team_id == team_id).order_by(TeamMember.user_id)  # type: ignore[arg-type]
    )
    return TeamDetail(team, list(members.all()))


def _team_snap(detail: TeamDetail) -> dict[str, object]:
    return snapshot(detail.team, member_ids=detail.member_ids)
