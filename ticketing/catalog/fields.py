"""Custom fields per category: the definitions a category carries (inherited by the
categories under it) and the values a ticket in that category holds, validated against
them. Values are stored as canonical text (numbers without a trailing ".0", dates as
ISO ``YYYY-MM-DD``), so one indexed equality serves the search filter for every type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, Index, UniqueConstraint, delete
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db_types import enum_type
from ticketing.catalog.models import Category
from ticketing.errors import InvalidInput

FieldValue = str | int | float | None
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 30
MAX_TEXT = 1000


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class CategoryField(SQLModel, table=True):
    __tablename__ = "category_fields"
    __table_args__ = (UniqueConstraint("category_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="categories.id", index=True)
    name: str = Field(max_length=40)  # the key in the API, e.g. meter_reading
    label: str = Field(default="", max_length=100)
    type: FieldType = Field(sa_type=enum_type(FieldType))
    required: bool = False
    choices: list[str] = Field(default_factory=list, sa_type=JSON)
    position: int = 0


class TicketFieldValue(SQLModel, table=True):
    __tablename__ = "ticket_field_values"
    __table_args__ = (Index("ix_ticket_field_values_name_value", "name", "value"),)

    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    name: str = Field(max_length=40, primary_key=True)
    value: str = Field(max_length=MAX_TEXT)


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    type: FieldType
    label: str = ""
    required: bool = False
    choices: Sequence[str] = ()


def check_definitions(fields: Sequence[CategoryField]) -> None:
    seen: set[str] = set()
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(f"a category has at most {MAX_FIELDS} fields")
    for f in fields:
        if not _NAME.match(f.name):
            raise InvalidInput(
                f"field name {f.name!r} must start with a lowercase letter and hold only "
                "lowercase letters, digits and '_' (up to 40)"
            )
        if f.name in seen:
            raise InvalidInput(f"field {f.name!r} is defined twice")
        seen.add(f.name)
        if f.type is FieldType.CHOICE:
            if not f.choices or any(not c.strip() for c in f.choices):
                raise InvalidInput(f"choice field {f.name!r} needs non-empty choices")
            if len(set(f.choices)) != len(f.choices):
                raise InvalidInput(f"choice field {f.name!r} lists a choice twice")
        elif f.choices:
            raise InvalidInput(f"only choice fields have choices ({f.name!r} is {f.type.value})")


async def definitions_for(session: AsyncSession, category_id: int | None) -> list[CategoryField]:
    """The fields of a category and of the categories above it, the type's first."""
    if category_id is None:
        return []
    category = await session.get(Category, category_id)
    if category is None:
        return []
    codes = category.path.split("/")
    paths = ["/".join(codes[: i + 1]) for i in range(len(codes))]
    statement = (
        select(CategoryField)
        .join(Category, Category.id == CategoryField.category_id)  # type: ignore[arg-type]
        .where(Category.path.in_(paths))  # type: ignore[attr-defined]
        .order_by(Category.level, CategoryField.position, CategoryField.id)  # type: ignore[arg-type]
    )
    return list((await session.exec(statement)).all())


def canonical(definition: CategoryField, value: FieldValue) -> str:
    """The stored text of a value, or InvalidInput naming the field."""
    name, kind = definition.name, definition.type
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"field {name!r} ({kind.value}): {value!r} is not a {kind.value}")
    if kind is FieldType.NUMBER:
        try:
            number = float(value)
        except ValueError:
            raise InvalidInput(f"field {name!r} (number): {value!r} is not a number") from None
        if not math.isfinite(number):
            raise InvalidInput(f"field {name!r} (number): {value!r} is not a finite number")
        return number_text(number)
    if not isinstance(value, str):
        raise InvalidInput(f"field {name!r} ({kind.value}): expected text, got {value!r}")
    if kind is FieldType.DATE:
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise InvalidInput(
                f"field {name!r} (date): {value!r} is not a YYYY-MM-DD date"
            ) from None
    if kind is FieldType.CHOICE:
        if value not in definition.choices:
            allowed = ", ".join(definition.choices)
            raise InvalidInput(f"field {name!r} (choice): {value!r} is not one of {allowed}")
        return value
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"field {name!r} (text): longer than {MAX_TEXT} characters")
    return value.strip()


def number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def typed(definition: CategoryField | None, stored: str) -> FieldValue:
    """A stored value as the API shows it (numbers as numbers)."""
    if definition is not None and definition.type is FieldType.NUMBER:
        number = float(stored)
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    return stored


async def stored_values(session: AsyncSession, ticket_id: int) -> dict[str, str]:
    rows = await session.exec(
        select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id)
    )
    return {r.name: r.value for r in rows.all()}


async def set_values(
    session: AsyncSession,
    ticket_id: int,
    category_id: int | None,
    changes: Mapping[str, FieldValue],
    *,
    replace: bool,
) -> dict[str, str]:
    """Apply ``changes`` (None removes a value) over the stored values, or instead of them
    when ``replace``; keep only what the category defines; enforce required fields."""
    definitions = {d.name: d for d in await definitions_for(session, category_id)}
    unknown = sorted(set(changes) - set(definitions))
    if unknown:
        where = (
            "this ticket's category" if category_id is not None else "tickets without a category"
        )
        raise InvalidInput(f"field {unknown[0]!r} is not defined for {where}")
    values = {} if replace else await stored_values(session, ticket_id)
    values = {k: v for k, v in values.items() if k in definitions}
    for name, value in changes.items():
        if value is None or value == "":
            values.pop(name, None)
        else:
            values[name] = canonical(definitions[name], value)
    missing = [n for n, d in definitions.items() if d.required and n not in values]
    if missing:
        raise InvalidInput(f"field {missing[0]!r} is required in this ticket's category")
    await session.exec(delete(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id))  # type: ignore[call-overload]
    for name, value in values.items():
        session.add(TicketFieldValue(ticket_id=ticket_id, name=name, value=value))
    await session.flush()
    return values


def filter_values(raw: str) -> list[str]:
    """The stored texts a search value may match: as given, and as a canonical number."""
    options = [raw]
    try:
        number = float(raw)
    except ValueError:
        return options
    if math.isfinite(number) and number_text(number) != raw:
        options.append(number_text(number))
    return options
