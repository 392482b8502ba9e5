"""Request and response shapes for users, tokens, contacts, teams, categories, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ticketing.access.roles import Role
from ticketing.catalog.fields import FieldType
from ticketing.models import ContactKind, IdentityKind
from web.schemas import AddressIn, AddressOut, DbId, Input


class LoginIn(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    organisation_id: int | None
    contact_id: int | None
    active: bool
    created_at: datetime


class UserIn(Input):
    email: str = Field(max_length=320)
    name: str = Field("", max_length=200)
    role: Role
    password: str | None = Field(
        None, min_length=10, max_length=1000, description="Omit to have one generated"
    )
    organisation_id: DbId | None = Field(None, description="Required for partners")


class UserCreated(UserOut):
    password: str | None = Field(None, description="The generated password, shown only now")


class UserPatch(Input):
    name: str | None = Field(None, max_length=200)
    role: Role | None = None
    active: bool | None = None
    organisation_id: DbId | None = None


class PasswordIn(Input):
    password: str | None = Field(
        None, min_length=10, max_length=1000, description="Omit to have one generated"
    )


class PasswordOut(BaseModel):
    password: str | None = Field(None, description="The generated password, shown only now")


class TokenIn(Input):
    user_id: DbId
    name: str = Field(max_length=100)


class TokenOut(BaseModel):
    id: int
    user_id: DbId
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself, shown only now")


class IdentityIn(Input):
    kind: IdentityKind
    value: str = Field(max_length=320)


class IdentityOut(BaseModel):
    kind: str
    value: str


class IdentityDetailOut(IdentityOut):
    id: int


class ContactOut(BaseModel):
    id: int
    display_name: str
    identities: list[IdentityOut]


class ContactSummaryOut(BaseModel):
    id: int
    kind: ContactKind
    display_name: str
    organisation_id: int | None
    merged_into_id: int | None


class ContactDetailOut(ContactSummaryOut):
    identities: list[IdentityDetailOut]
    addresses: list[AddressOut]
    created_at: datetime
    updated_at: datetime


class ContactIn(Input):
    display_name: str = Field(min_length=1, max_length=200)
    kind: ContactKind = ContactKind.PERSON
    organisation_id: DbId | None = None
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)


class ContactPatch(Input):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    organisation_id: DbId | None = None
    clear_organisation: bool = False


class MergeContactIn(Input):
    source_id: DbId = Field(description="The contact merged away into this one")


class ContactMergeOut(BaseModel):
    id: int
    source_id: DbId
    target_id: int
    actor: str
    at: datetime
    moved: dict[str, Any]


class TeamIn(Input):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    member_ids: list[DbId] = Field(default_factory=list, max_length=1000)


class TeamPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    member_ids: list[DbId] | None = Field(None, max_length=1000)


class TeamOut(BaseModel):
    id: int
    name: str
    description: str
    member_ids: list[DbId]


class CategoryIn(Input):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    parent_id: DbId | None = None


class CategoryPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None


class CategoryOut(BaseModel):
    id: int
    parent_id: int | None
    code: str
    path: str = Field(description="Codes from the type down, joined by '/': how reports count")
    name: str
    names: list[str] = Field(description="Names from the type down: how people read it")
    level: str
    active: bool


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_user_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class FieldIn(Input):
    name: str = Field(
        min_length=1, max_length=40, description="Key in tickets' fields, e.g. meter_reading"
    )
    label: str = Field("", max_length=100)
    type: FieldType = Field(description="text, number, date (YYYY-MM-DD) or choice")
    required: bool = False
    choices: list[str] = Field(default_factory=list, max_length=100, description="choice only")


class FieldOut(BaseModel):
    category_id: int = Field(description="The category defining it (this one or a parent)")
    name: str
    label: str
    type: FieldType
    required: bool
    choices: list[str]
