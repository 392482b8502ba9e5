"""Contacts from a CSV file (a CRM's export): parsed and checked row by row.

Columns, named by a header row in any order: ``name`` (required), ``kind`` (person or
organisation), ``organisation`` (the name of an organisation in the file or already
known), ``phone``, ``email``, ``street``, ``postcode``, ``city``. The rows are written by
``ContactService.import_rows`` in one transaction, so a bad row imports nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ticketing.contacts import AddressInput, IdentityInput
from ticketing.errors import InvalidInput
from ticketing.models import ContactKind, IdentityKind

COLUMNS = ("name", "kind", "organisation", "phone", "email", "street", "postcode", "city")


@dataclass(frozen=True)
class ContactRow:
    line: int
    name: str
    kind: ContactKind
    organisation: str
    identities: tuple[IdentityInput, ...]
    addresses: tuple[AddressInput, ...]


def parse_contacts_csv(rows: Sequence[Sequence[str]]) -> list[ContactRow]:
    """The rows after the header; InvalidInput listing every bad line when there is one."""
    if not rows:
        raise InvalidInput("the file is empty: expected a header row naming the columns")
    header = [cell.strip().casefold() for cell in rows[0]]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or "name" not in header:
        raise InvalidInput(
            f"line 1: the header must name the columns ({', '.join(COLUMNS)}; name is "
            f"required), found {', '.join(repr(n) for n in unknown) or 'no name column'}"
        )
    parsed, errors = [], []
    for line, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != len(header):
            errors.append(f"line {line}: expected {len(header)} columns, found {len(cells)}")
            continue
        values = dict(zip(header, cells, strict=True))
        problem = _problem(values)
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        parsed.append(_row(line, values))
    if errors:
        shown = "; ".join(errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise InvalidInput(f"{len(errors)} bad rows, nothing imported: {shown}{more}")
    return parsed


def _problem(values: dict[str, str]) -> str | None:
    if not values["name"] or len(values["name"]) > 200:
        return "the name must be 1-200 characters"
    kind = values.get("kind", "") or "person"
    if kind not in (k.value for k in ContactKind):
        return f"kind {kind!r} must be person or organisation"
    if kind == ContactKind.ORGANISATION and values.get("organisation"):
        return "an organisation cannot belong to another organisation"
    if (values.get("postcode") or values.get("city")) and not values.get("street"):
        return "an address needs a street"
    return None


def _row(line: int, values: dict[str, str]) -> ContactRow:
    identities = tuple(
        IdentityInput(kind, values[column])
        for column, kind in (("phone", IdentityKind.PHONE), ("email", IdentityKind.EMAIL))
        if values.get(column)
    )
    addresses = (
        (
            AddressInput(
                street=values["street"],
                postal_code=values.get("postcode", ""),
                city=values.get("city", ""),
            ),
        )
        if values.get("street")
        else ()
    )
    return ContactRow(
        line=line,
        name=" ".join(values["name"].split()),
        kind=ContactKind(values.get("kind") or "person"),
        organisation=values.get("organisation", ""),
        identities=identities,
        addresses=addresses,
    )
