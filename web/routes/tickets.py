"""Tickets: finding, registering, changing, the status workflow, merging, exporting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ticketing.contacts import AddressInput
from ticketing.errors import InvalidInput
from ticketing.models import Priority, TicketStatus
from ticketing.search import Sort, TicketFilter
from ticketing.ticket_service import NewTicket, TicketChanges
from web.convert import ticket_detail_out, ticket_out
from web.deps import (
    QueryId,
    Services,
    TicketCreator,
    TicketEditor,
    TicketExporter,
    TicketMerger,
    TicketReader,
    TicketReopener,
)
from web.schemas import MAX_ID, CursorPage
from web.schemas_tickets import (
    MergeTicketIn,
    ReopenIn,
    StatusIn,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPatch,
    VersionedAddressIn,
)

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
CLEARABLE = frozenset({"category_id", "team_id", "queue", "contact_id", "organisation_id"})


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def ticket_filter(
    q: Annotated[
        str | None, Query(max_length=200, description="Words in tickets or threads")
    ] = None,
    status: Annotated[list[TicketStatus], Query()] = [],  # noqa: B006 (FastAPI copies it)
    priority: Annotated[list[Priority], Query()] = [],  # noqa: B006
    team_id: QueryId = None,
    queue: Annotated[str | None, Query(max_length=64, description="An ACD queue's name")] = None,
    assignee_id: QueryId = None,
    category_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Includes sub-categories")
    ] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    organisation_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A partner's tickets")
    ] = None,
    contact_id: QueryId = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    created_from: datetime | None = None,
    created_to: Annotated[datetime | None, Query(description="Exclusive")] = None,
    overdue: Annotated[bool | None, Query(description="Past an SLA deadline")] = None,
    field: Annotated[
        list[str],
        Query(max_length=5, description="Custom field value as name=value (repeatable)"),
    ] = [],  # noqa: B006
) -> TicketFilter:
    return TicketFilter(
        q=q,
        status=tuple(status),
        priority=tuple(priority),
        team_id=team_id,
        queue=queue,
        assignee_id=assignee_id,
        category_id=category_id,
        channel=channel,
        organisation_id=organisation_id,
        contact_id=contact_id,
        tag=tag,
        created_from=_utc(created_from),
        created_to=_utc(created_to),
        overdue=overdue,
        fields=tuple(_field_filter(f) for f in field),
    )


def _field_filter(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name.strip() or len(raw) > 200:
        raise InvalidInput(f"field filter {raw[:50]!r} must look like name=value")
    return name.strip(), value.strip()


Filters = Annotated[TicketFilter, Depends(ticket_filter)]


@router.get("")
async def list_tickets(
    services: Services,
    actor: TicketReader,
    filters: Filters,
    sort: Sort = Sort.NEWEST,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CursorPage[TicketOut]:
    """Tickets you may see, filtered and sorted; ``q`` searches subjects, descriptions
    and thread entries. Pass ``next_cursor`` back as ``cursor`` for the next page."""
    tickets, next_cursor = await services.search.page(
        actor, filters, sort=sort, limit=limit, cursor=cursor
    )
    return CursorPage(items=[ticket_out(t) for t in tickets], next_cursor=next_cursor)


@router.get("/export.csv", response_class=Response)
async def export_csv(services: Services, actor: TicketExporter, filters: Filters) -> Response:
    """The filtered list as CSV (UTF-8), categories as codes."""
    return Response(
        await services.export.csv(actor, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tickets.csv"'},
    )


@router.get("/export.xlsx", response_class=Response)
async def export_xlsx(services: Services, actor: TicketExporter, filters: Filters) -> Response:
    """The filtered list as an Excel workbook, categories as codes."""
    return Response(
        await services.export.xlsx(actor, filters),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="tickets.xlsx"'},
    )


@router.post("", status_code=201)
async def create_ticket(
    body: TicketIn, services: Services, actor: TicketCreator
) -> TicketDetailOut:
    """Register a ticket; ``status: closed`` records a case answered on the spot."""
    fields = body.model_dump(exclude={"addresses"})
    new = NewTicket(**fields, addresses=[AddressInput(**a.model_dump()) for a in body.addresses])
    ticket = await services.tickets.create(actor, new)
    return ticket_detail_out(await services.queries.detail(actor, ticket.number))


@router.get("/{number}")
async def get_ticket(number: str, services: Services, actor: TicketReader) -> TicketDetailOut:
    return ticket_detail_out(await services.queries.detail(actor, number))


@router.patch("/{number}", responses={409: {"description": "Stale version"}})
async def update_ticket(
    number: str, body: TicketPatch, services: Services, actor: TicketEditor
) -> TicketDetailOut:
    """Change fields; ``version`` must be the one you loaded (else 409, reload)."""
    unknown = set(body.clear) - CLEARABLE
    fields = body.model_dump(exclude={"clear"}, exclude_unset=True)
    if unknown:
        raise InvalidInput(f"cannot clear {', '.join(sorted(unknown))}")
    changes = TicketChanges(**fields, clear=frozenset(body.clear))
    await services.tickets.update(actor, number, changes)
    return ticket_detail_out(await services.queries.detail(actor, number))


@router.post("/{number}/status", responses={409: {"description": "Invalid transition"}})
async def change_status(
    number: str, body: StatusIn, services: Services, actor: TicketEditor
) -> TicketOut:
    return ticket_out(
        await services.tickets.change_status(actor, number, body.status, body.version)
    )


@router.post("/{number}/reopen")
async def reopen_ticket(
    number: str, body: ReopenIn, services: Services, actor: TicketReopener
) -> TicketOut:
    """Reopen a resolved or closed ticket; the comment is added to the thread."""
    return ticket_out(await services.tickets.reopen(actor, number, body.comment, body.version))


@router.post("/{number}/merge")
async def merge_ticket(
    number: str, body: MergeTicketIn, services: Services, actor: TicketMerger
) -> TicketDetailOut:
    """Merge the ticket ``source`` into this one; ``source`` is closed and points here."""
    await services.ticket_merges.merge(
        actor, target=number, source=body.source, version=body.version
    )
    return ticket_detail_out(await services.queries.detail(actor, number))


@router.post("/{number}/addresses", status_code=201)
async def add_ticket_address(
    number: str, body: VersionedAddressIn, services: Services, actor: TicketEditor
) -> TicketDetailOut:
    address = AddressInput(**body.model_dump(exclude={"version"}))
    await services.tickets.add_address(actor, number, address, body.version)
    return ticket_detail_out(await services.queries.detail(actor, number))
