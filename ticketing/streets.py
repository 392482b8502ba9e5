"""The street registry: the streets an admin imports (name, postcode, city), completion
while typing an address, and the check that marks ticket addresses outside the registry.

Names are matched on a key that is case-folded with accents removed ("Mäkelänkatu" ->
"makelankatu"), so "makel" and "Mäkel" complete alike. Completion is a prefix match on
an index over that key (LIKE over a ``varchar_pattern_ops`` index on PostgreSQL, so the
collation does not matter; a key range on SQLite).

An address whose street is not in the registry is accepted and flagged
(``street_registered = false``): a new street must not stop a caller's report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Index, UniqueConstraint, func
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.errors import InvalidInput

MAX_COMPLETIONS = 50
_HOUSE_NUMBER = re.compile(r"\s+\d.*$")  # "Mannerheimintie 5 A" -> "Mannerheimintie"


class Street(SQLModel, table=True):
    __tablename__ = "streets"
    __table_args__ = (
        UniqueConstraint("name", "postal_code", "city"),
        Index(
            "ix_streets_name_key",
            "name_key",
            "postal_code",
            postgresql_ops={"name_key": "varchar_pattern_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200)
    postal_code: str = Field(max_length=16)
    city: str = Field(max_length=100)


@dataclass(frozen=True)
class StreetRow:
    line: int  # in the imported file, for error messages
    name: str
    postal_code: str
    city: str


def street_key(name: str) -> str:
    """Case-folded, accents removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def parse_streets_csv(rows: Sequence[Sequence[str]]) -> list[StreetRow]:
    """Rows of ``street,postcode,city`` (a header row is skipped); InvalidInput listing
    every bad line when there is one."""
    parsed, errors = [], []
    for line, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if line == 1 and cells and cells[0].casefold() in ("street", "name", "street name"):
            continue
        problem = _problem(cells)
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        parsed.append(StreetRow(line, " ".join(cells[0].split()), cells[1], cells[2]))
    if errors:
        shown = "; ".join(errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise InvalidInput(f"{len(errors)} bad rows, nothing imported: {shown}{more}")
    return parsed


def _problem(cells: list[str]) -> str | None:
    if len(cells) != 3:
        return f"expected 3 columns (street, postcode, city), found {len(cells)}"
    name, postal_code, city = cells
    if not name:
        return "the street name is empty"
    if len(name) > 200:
        return "the street name is longer than 200 characters"
    if not re.fullmatch(r"[A-Za-z0-9 -]{1,16}", postal_code):
        return f"postcode {postal_code!r} must be 1-16 letters, digits, spaces or '-'"
    if not city or len(city) > 100:
        return "the city must be 1-100 characters"
    return None


class StreetRegistry:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_rows(self, actor: Principal, rows: Sequence[StreetRow]) -> tuple[int, int]:
        """Add the streets not there yet, in one transaction; (added, already there)."""
        async with self.db.transaction() as session:
            existing = await session.exec(select(Street.name, Street.postal_code, Street.city))
            known = {tuple(r) for r in existing.all()}
            added = 0
            for row in rows:
                triple = (row.name, row.postal_code, row.city)
                if triple in known:
                    continue
                known.add(triple)
                session.add(
                    Street(
                        name=row.name,
                        name_key=street_key(row.name),
                        postal_code=row.postal_code,
                        city=row.city,
                    )
                )
                added += 1
            await session.flush()
            audit(
                session,
                actor,
                "streets.import",
                "street",
                "registry",
                after={"added": added, "rows": len(rows)},
            )
        return added, len(rows) - added

    async def complete(
        self, prefix: str, *, city: str | None = None, limit: int = 10
    ) -> list[Street]:
        """Streets whose name starts with ``prefix`` (accents and case ignored)."""
        key = street_key(prefix)
        if not key:
            return []
        if self.db.dialect == "sqlite":
            # A range on the key uses the plain index (SQLite's LIKE is case-insensitive
            # and would not); the key is lowercase, so byte order is the right order.
            upper = key + "\U0010ffff"  # above every longer key with this prefix
            match = (Street.name_key >= key) & (Street.name_key < upper)  # type: ignore[operator]
        else:
            escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            match = Street.name_key.like(f"{escaped}%", escape="\\")  # type: ignore[attr-defined]
        statement = (
            select(Street)
            .where(match)
            .order_by(Street.name_key, Street.postal_code, Street.id)  # type: ignore[arg-type]
            .limit(min(limit, MAX_COMPLETIONS))
        )
        if city:
            statement = statement.where(func.lower(Street.city) == city.strip().lower())
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())


async def street_registered(session: AsyncSession, street: str, postal_code: str) -> bool | None:
    """Whether an address's street is in the registry (its house number ignored, and its
    postcode too when it has none); None when no registry has been imported."""
    if (await session.exec(select(Street.id).limit(1))).first() is None:
        return None
    key = street_key(_HOUSE_NUMBER.sub("", street.strip()))
    statement = select(Street.id).where(Street.name_key == key)
    if postal_code.strip():
        statement = statement.where(Street.postal_code == postal_code.strip())
    return (await session.exec(statement.limit(1))).first() is not None
