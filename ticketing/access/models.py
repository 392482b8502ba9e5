"""Users and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow
from ticketing.access.roles import Role


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)  # lowercased; the login name
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role), index=True)
    password_hash: str = Field(default="", max_length=200)  # argon2id; empty: no web login
    organisation_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    active: bool = True
    session_version: int = 1  # bumped to end every web session of the user at once
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token of an integration, acting as its user; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the first characters, to recognise it in lists
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
