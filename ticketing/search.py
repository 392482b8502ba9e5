"""Finding tickets: full text over tickets and their threads, filters, sorting and
keyset (cursor) pagination, always within the reader's scope.

Full text runs on SQLite FTS5 tables kept in sync by triggers (migration 0002), and on
PostgreSQL stored ``search`` tsvector columns of tickets and entries with GIN indexes
(migration tickets_0006). Both match every word of the query as a prefix,
case-insensitively.

A search never collects every match before taking a page: the words are looked up in
tickets and in thread entries separately, each branch with all the filters, the scope,
the cursor, the sort and the page limit, so each can stop at one page (an ordered scan, or
a bounded top-N over the index's matches, as the planner sees fit); the page is then the
first ``limit`` tickets of the two branches' union in the same order.

On PostgreSQL a GIN index returns its matches in no useful order, so a common word costs
a heap visit per matching row before the newest can be picked. A search newest first
therefore looks at the newest ``WINDOWS`` of ticket ids first (each branch a bitmap AND
of the GIN index and the id range, visiting only the matches inside it), and widens
only when a window holds less than a page: the rows a window gives are the newest
overall, as everything outside it is older.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    column,
    func,
    literal,
    literal_column,
    not_,
    or_,
    text,
    union_all,
)
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from switchboard.db import Database
from switchboard.db_types import UtcDateTime, utcnow
from ticketing.access.roles import Principal
from ticketing.catalog.fields import TicketFieldValue, filter_values
from ticketing.catalog.models import Category
from ticketing.errors import InvalidInput
from ticketing.models import (
    Priority,
    Ticket,
    TicketAssignee,
    TicketEntry,
    TicketStatus,
    TicketTag,
)
from ticketing.scope import sees_internal, ticket_scope

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8
WINDOWS = (10_000, 100_000)  # ticket ids searched, newest first, before all of them


class Sort(StrEnum):
    NEWEST = "-created"  # the default; the cursor is the ticket id
    OLDEST = "created"
    UPDATED = "-updated"
    LEAST_RECENTLY_UPDATED = "updated"
    PRIORITY = "-priority"  # urgent first
    LOW_PRIORITY = "priority"
    DUE = "due"  # nearest resolution deadline first; tickets without one last


@dataclass(frozen=True)
class TicketFilter:
    q: str | None = None
    status: Sequence[TicketStatus] = ()
    priority: Sequence[Priority] = ()
    team_id: int | None = None
    queue: str | None = None
    assignee_id: int | None = None
    category_id: int | None = None  # the category and everything under it
    channel: str | None = None
    organisation_id: int | None = None  # a partner's tickets
    contact_id: int | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    overdue: bool | None = None  # past a deadline (or not), see ticketing.sla.engine
    fields: Sequence[tuple[str, str]] = ()  # custom field (name, value) pairs, all must hold


_PRIORITY_RANK = case(
    {p.value: rank for rank, p in enumerate(Priority)}, value=Ticket.priority, else_=1
)


_NEVER = datetime(9999, 1, 1, tzinfo=UTC)
_DUE = func.coalesce(Ticket.resolution_due_at, literal(_NEVER, UtcDateTime()))


def _overdue(now: datetime) -> Any:
    at = func.coalesce(Ticket.sla_paused_at, literal(now, UtcDateTime()))
    return and_(
        Ticket.status.not_in([TicketStatus.RESOLVED, TicketStatus.CLOSED]),  # type: ignore[attr-defined]
        or_(
            and_(
                Ticket.first_response_due_at.is_not(None),  # type: ignore[union-attr]
                Ticket.first_response_at.is_(None),  # type: ignore[union-attr]
                Ticket.first_response_due_at < at,  # type: ignore[operator]
            ),
            Ticket.resolution_due_at < at,  # type: ignore[operator]
        ),
    )


def _sort_key(sort: Sort) -> Any:
    if sort in (Sort.NEWEST, Sort.OLDEST):
        return Ticket.id
    if sort in (Sort.UPDATED, Sort.LEAST_RECENTLY_UPDATED):
        return Ticket.updated_at
    if sort is Sort.DUE:
        return _DUE
    return _PRIORITY_RANK


class TicketSearch:
    def __init__(self, db: Database, windows: Sequence[int] = WINDOWS) -> None:
        self.db = db
        self.windows = windows

    async def page(
        self,
        principal: Principal,
        filters: TicketFilter,
        *,
        sort: Sort = Sort.NEWEST,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Ticket], str | None]:
        """One page and the cursor of the next (None on the last page)."""
        key = _sort_key(sort)
        descending = sort.value.startswith("-")
        after = [_after(sort, key, cursor, descending)] if cursor else []
        order = [key.desc(), Ticket.id.desc()] if descending else [key.asc(), Ticket.id.asc()]  # type: ignore[union-attr]
        if key is Ticket.id:
            order = order[:1]
        async with self.db.session() as session:
            for floor in await self._floors(session, filters, sort, cursor):
                statement = self.statement(principal, filters, order, limit + 1, after, floor)
                rows = list((await session.exec(statement)).all())
                if len(rows) > limit:
                    break
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, _cursor(sort, rows[-1])

    async def all(self, principal: Principal, filters: TicketFilter, limit: int) -> list[Ticket]:
        """Up to ``limit`` matching tickets, newest first (for exports)."""
        statement = self.statement(principal, filters, [Ticket.id.desc()], limit)  # type: ignore[union-attr]
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())

    async def _floors(
        self, session: AsyncSession, filters: TicketFilter, sort: Sort, cursor: str | None
    ) -> list[int | None]:
        """The lowest ticket id of each window a page is looked for in (None: all)."""
        if self.db.dialect != "postgresql" or sort is not Sort.NEWEST or not _words(filters):
            return [None]
        top = int(cursor) if cursor else (await session.exec(select(func.max(Ticket.id)))).one()
        if top is None:
            return [None]
        return [top - span for span in self.windows if top - span > 0] + [None]

    def statement(
        self,
        principal: Principal,
        filters: TicketFilter,
        order: Sequence[Any],
        limit: int,
        where: Sequence[Any] = (),
        floor: int | None = None,
    ) -> SelectOfScalar[Ticket]:
        """The first ``limit`` tickets in ``order`` matching the filters (and ``where``),
        among ticket ids from ``floor`` up when it is given."""
        conditions = [*ticket_scope(principal), *filter_conditions(filters), *where]
        words = _words(filters)
        if not words:
            return select(Ticket).where(*conditions).order_by(*order).limit(limit)
        if floor is not None:
            conditions.append(Ticket.id >= floor)  # type: ignore[operator]
        branches = [
            select(Ticket.id).where(*conditions, match).order_by(*order).limit(limit).subquery()
            for match in self._matches(words, sees_internal(principal), floor)
        ]
        found = union_all(*(select(b.c.id) for b in branches))
        return select(Ticket).where(Ticket.id.in_(found)).order_by(*order).limit(limit)  # type: ignore[union-attr]

    def _matches(self, words: list[str], internal: bool, floor: int | None) -> tuple[Any, Any]:
        """Conditions on ``Ticket``: the words in the ticket itself, and in an entry of its
        thread (internal notes only for those who see them; on PostgreSQL only of tickets
        from id ``floor`` up, when given)."""
        if self.db.dialect == "sqlite":
            query = " ".join(f'"{w}"*' for w in words)
            entries = "" if internal else " AND internal = 0"
            in_ticket = text("SELECT rowid AS id FROM ticket_fts WHERE ticket_fts MATCH :fts_t")
            in_entry = text(
                f"SELECT ticket_id AS id FROM entry_fts WHERE entry_fts MATCH :fts_e{entries}"
            )
            return (
                Ticket.id.in_(in_ticket.bindparams(fts_t=query).columns(column("id", Integer))),  # type: ignore[union-attr]
                Ticket.id.in_(in_entry.bindparams(fts_e=query).columns(column("id", Integer))),  # type: ignore[union-attr]
            )
        query = " & ".join(f"{w}:*" for w in words)
        tsquery = func.to_tsquery(literal_column("'simple'"), query)
        # "+ 0": the entries' matches come from the GIN index, never from walking the
        # ticket_id index newest first and checking every entry on the way, which the
        # planner favours but which visits ~15 times the rows for a word in 0.1 % of
        # entries (EXPLAIN ANALYZE at 1M tickets, scripts/bench_tickets.py).
        entry = select(TicketEntry.ticket_id + 0).where(
            literal_column("ticket_entries.search").op("@@")(tsquery)
        )
        if not internal:
            entry = entry.where(TicketEntry.internal == False)  # noqa: E712
        if floor is not None:
            entry = entry.where(TicketEntry.ticket_id >= floor)
        return (
            literal_column("tickets.search").op("@@")(tsquery),
            Ticket.id.in_(entry),  # type: ignore[union-attr]
        )


def _words(f: TicketFilter) -> list[str]:
    return [w.lower() for w in _WORD.findall(f.q or "")][:MAX_WORDS]


def filter_conditions(f: TicketFilter) -> list[Any]:
    """SQL conditions on ``Ticket`` for every filter but the words."""
    conditions: list[Any] = []
    if f.status:
        conditions.append(Ticket.status.in_(list(f.status)))  # type: ignore[attr-defined]
    if f.priority:
        conditions.append(Ticket.priority.in_(list(f.priority)))  # type: ignore[attr-defined]
    for field in ("team_id", "queue", "organisation_id", "contact_id"):
        value = getattr(f, field)
        if value is not None:
            conditions.append(getattr(Ticket, field) == value)
    if f.channel:
        conditions.append(Ticket.channel == f.channel)
    if f.created_from is not None:
        conditions.append(Ticket.created_at >= f.created_from)  # type: ignore[operator]
    if f.created_to is not None:
        conditions.append(Ticket.created_at < f.created_to)  # type: ignore[operator]
    if f.overdue is not None:
        late = _overdue(utcnow())
        conditions.append(late if f.overdue else not_(late))
    if f.assignee_id is not None:
        conditions.append(
            Ticket.id.in_(  # type: ignore[union-attr]
                select(TicketAssignee.ticket_id).where(TicketAssignee.user_id == f.assignee_id)
            )
        )
    if f.tag:
        conditions.append(
            Ticket.id.in_(  # type: ignore[union-attr]
                select(TicketTag.ticket_id).where(TicketTag.tag == f.tag.strip().lower())
            )
        )
    for name, value in f.fields:
        conditions.append(
            Ticket.id.in_(  # type: ignore[union-attr]
                select(TicketFieldValue.ticket_id).where(
                    TicketFieldValue.name == name,
                    TicketFieldValue.value.in_(filter_values(value)),  # type: ignore[attr-defined]
                )
            )
        )
    if f.category_id is not None:
        root = select(Category.path).where(Category.id == f.category_id).scalar_subquery()
        under = select(Category.id).where(
            or_(Category.path == root, Category.path.like(root + "/%"))  # type: ignore[attr-defined]
        )
        conditions.append(Ticket.category_id.in_(under))  # type: ignore[union-attr]
    return conditions


def _cursor(sort: Sort, last: Ticket) -> str:
    if sort in (Sort.NEWEST, Sort.OLDEST):
        return str(last.id)
    if sort in (Sort.UPDATED, Sort.LEAST_RECENTLY_UPDATED):
        value: Any = last.updated_at.isoformat()
    elif sort is Sort.DUE:
        value = (last.resolution_due_at or _NEVER).isoformat()
    else:
        value = list(Priority).index(last.priority)
    raw = json.dumps([value, last.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(sort: Sort, key: Any, cursor: str, descending: bool) -> Any:
    """Rows after the cursor's (key, id) in the sort order."""
    try:
        if sort in (Sort.NEWEST, Sort.OLDEST):
            last_id = int(cursor)
            return Ticket.id < last_id if descending else Ticket.id > last_id  # type: ignore[operator]
        value, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort in (Sort.UPDATED, Sort.LEAST_RECENTLY_UPDATED, Sort.DUE):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive time in cursor")
        int(last_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"invalid cursor {cursor!r}: pass back a next_cursor unchanged") from exc
    if descending:
        return or_(key < value, and_(key == value, Ticket.id < last_id))  # type: ignore[operator]
    return or_(key > value, and_(key == value, Ticket.id > last_id))  # type: ignore[operator]
