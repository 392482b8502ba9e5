"""CSV and XLSX exports of a filtered ticket list; categories are reported as codes.

After the fixed columns come the custom fields of the categories present in the list (and
of the categories above them), one column per field name in catalogue order, holding the
stored text (numbers without a trailing ".0", dates as YYYY-MM-DD).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import select

from switchboard.db import Database
from ticketing.access.models import User
from ticketing.access.roles import Principal
from ticketing.catalog.fields import TicketFieldValue, definitions_for
from ticketing.catalog.models import Category, Team
from ticketing.errors import InvalidInput
from ticketing.models import Contact, Ticket, TicketAssignee, TicketTag
from ticketing.search import TicketFilter, TicketSearch

COLUMNS = (
    "number",
    "created_at",
    "status",
    "priority",
    "channel",
    "subject",
    "category_code",
    "team",
    "queue",
    "assignees",
    "contact",
    "organisation",
    "tags",
    "first_response_at",
    "resolved_at",
    "closed_at",
)
MAX_ROWS = 100_000


class TicketExport:
    def __init__(self, db: Database, search: TicketSearch, max_rows: int = MAX_ROWS) -> None:
        self.db = db
        self.search = search
        self.max_rows = max_rows

    async def table(
        self, principal: Principal, filters: TicketFilter
    ) -> tuple[list[str], list[list[str]]]:
        """The header (fixed columns, then custom field names) and one row per ticket."""
        tickets = await self.search.all(principal, filters, self.max_rows + 1)
        if len(tickets) > self.max_rows:  # never a silently shortened list
            raise InvalidInput(
                f"more than {self.max_rows:,} tickets match: narrow the filters "
                "(a period, a status or a team) and export in parts"
            )
        ids = [t.id for t in tickets]
        async with self.db.session() as session:
            categories = {c.id: c.path for c in (await session.exec(select(Category))).all()}
            teams = {t.id: t.name for t in (await session.exec(select(Team))).all()}
            assignees: dict[int, list[str]] = defaultdict(list)
            tags: dict[int, list[str]] = defaultdict(list)
            values: dict[int, dict[str, str]] = defaultdict(dict)
            contact_ids: set[int] = set()
            for chunk in _chunks(ids):
                rows = await session.exec(
                    select(TicketAssignee.ticket_id, User.email)
                    .join(User, User.id == TicketAssignee.user_id)  # type: ignore[arg-type]
                    .where(TicketAssignee.ticket_id.in_(chunk))  # type: ignore[attr-defined]
                )
                for ticket_id, email in rows.all():
                    assignees[ticket_id].append(email)
                tag_rows = await session.exec(
                    select(TicketTag.ticket_id, TicketTag.tag).where(
                        TicketTag.ticket_id.in_(chunk)  # type: ignore[attr-defined]
                    )
                )
                for ticket_id, tag in tag_rows.all():
                    tags[ticket_id].append(tag)
                value_rows = await session.exec(
                    select(TicketFieldValue).where(
                        TicketFieldValue.ticket_id.in_(chunk)  # type: ignore[attr-defined]
                    )
                )
                for value in value_rows.all():
                    values[value.ticket_id][value.name] = value.value
            fields: dict[str, None] = {}  # field names in catalogue order, each once
            present = {t.category_id for t in tickets if t.category_id is not None}
            for category_id in sorted(present, key=lambda i: categories.get(i, "")):
                fields.update(
                    dict.fromkeys(d.name for d in await definitions_for(session, category_id))
                )
            for t in tickets:
                contact_ids.update(i for i in (t.contact_id, t.organisation_id) if i is not None)
            names: dict[int, str] = {}
            for chunk in _chunks(sorted(contact_ids)):
                found = await session.exec(select(Contact).where(Contact.id.in_(chunk)))  # type: ignore[union-attr]
                names.update({c.id: c.display_name for c in found.all() if c.id is not None})
        rows = [
            _row(t, categories, teams, assignees, tags, names)
            + [values[t.id].get(name, "") if t.id is not None else "" for name in fields]
            for t in tickets
        ]
        return [*COLUMNS, *fields], rows

    async def csv(self, principal: Principal, filters: TicketFilter) -> bytes:
        header, rows = await self.table(principal, filters)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(_no_formulas(r) for r in rows)
        return out.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheets read UTF-8

    async def xlsx(self, principal: Principal, filters: TicketFilter) -> bytes:
        header, rows = await self.table(principal, filters)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("tickets")
        sheet.append(header)
        for row in rows:
            # Control characters cannot be stored in a workbook: they are left out.
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in _no_formulas(row)])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def _row(
    t: Ticket,
    categories: dict[int | None, str],
    teams: dict[int | None, str],
    assignees: dict[int, list[str]],
    tags: dict[int, list[str]],
    names: dict[int, str],
) -> list[str]:
    assert t.id is not None
    return [
        t.number,
        t.created_at.isoformat(),
        t.status.value,
        t.priority.value,
        t.channel,
        t.subject,
        categories.get(t.category_id, "") if t.category_id else "",
        teams.get(t.team_id, "") if t.team_id else "",
        t.queue or "",
        " ".join(sorted(assignees.get(t.id, []))),
        names.get(t.contact_id, "") if t.contact_id else "",
        names.get(t.organisation_id, "") if t.organisation_id else "",
        " ".join(sorted(tags.get(t.id, []))),
        t.first_response_at.isoformat() if t.first_response_at else "",
        t.resolved_at.isoformat() if t.resolved_at else "",
        t.closed_at.isoformat() if t.closed_at else "",
    ]


def _no_formulas(row: Sequence[str]) -> list[str]:
    """Text a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    return [f"'{v}" if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in row]


def _chunks(ids: Sequence[int | None], size: int = 500) -> list[list[int]]:
    clean = [i for i in ids if i is not None]
    return [clean[i : i + size] for i in range(0, len(clean), size)]
