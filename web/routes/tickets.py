from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from web.deps import Context, require_token
from web.schemas import ContactOut, EntryOut, IdentityOut, Page, TicketDetailOut, TicketOut

router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[Depends(require_token)])


@router.get("")
async def list_tickets(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> Page[TicketOut]:
    tickets = await context.tickets.recent(limit, cursor)
    items = [TicketOut.model_validate(t, from_attributes=True) for t in tickets]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/{number}")
async def get_ticket(number: str, context: Context) -> TicketDetailOut:
    detail = await context.tickets.detail(number)
    if detail is None:
        raise HTTPException(404, f"ticket {number} not found")
    contact = None
    if detail.contact is not None:
        contact = ContactOut(
            id=detail.contact.id or 0,
            display_name=detail.contact.display_name,
            identities=[IdentityOut(kind=i.kind, value=i.value) for i in detail.identities],
        )
    return TicketDetailOut(
        **TicketOut.model_validate(detail.ticket, from_attributes=True).model_dump(),
        contact=contact,
        entries=[EntryOut.model_validate(e, from_attributes=True) for e in detail.entries],
    )
