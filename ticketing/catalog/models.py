"""Teams with their members, and hierarchical categories (type / problem / cause)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, utcnow

CATEGORY_LEVELS = ("type", "problem", "cause")


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_members"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)


class Category(SQLModel, table=True):
    """A node of the classification tree; ``path`` is its codes joined by '/' (unique)."""

    __tablename__ = "categories"

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="categories.id", index=True)
    code: str = Field(max_length=32)
    path: str = Field(max_length=200, unique=True)  # e.g. WATER/LEAK/PIPE
    name: str = Field(max_length=200)
    level: int = 0  # 0 type, 1 problem, 2 cause
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
