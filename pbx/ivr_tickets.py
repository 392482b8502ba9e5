"""The IVR's ticket node: open the call's ticket during the call, or classify it.

The ticket is the one the call will be filed on when it ends, so the call, its IVR path
and any voicemail land together; opening it early lets the flow read its number back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from sqlmodel import col, or_, select

from pbx.call_log import CallLog
from pbx.ivr.port import CallContext
from pbx.models import CallRecord
from switchboard.db_types import utcnow
from ticketing.calls import call_ticket
from ticketing.catalog.models import Category


class UnknownCategory(LookupError):
    pass


class IvrTickets:
    def __init__(self, call_log: CallLog, default_region: str) -> None:
        self.call_log = call_log
        self.default_region = default_region

    async def __call__(
        self,
        call: CallContext,
        action: Literal["create", "tag"],
        category: str,
        fields: Mapping[str, str],
    ) -> str | None:
        record_id = await self.call_log.record_id(call.call_id)
        if record_id is None:
            raise LookupError(f"no call record for channel {call.call_id}")
        async with self.call_log.db.transaction() as session:
            found = await session.exec(
                select(Category).where(
                    col(Category.active),
                    or_(
                        Category.path == category,
                        (Category.code == category) & col(Category.parent_id).is_(None),
                    ),
                )
            )
            chosen = found.first()
            if chosen is None:
                raise UnknownCategory(f"no active category with code or path '{category}'")
            record = await session.get(CallRecord, record_id, with_for_update=True)
            assert record is not None
            ticket = await call_ticket(session, record, self.default_region)
            ticket.category_id = chosen.id
            if action == "create":
                ticket.subject = f"{chosen.name}: {ticket.subject}"
            details = [f"{name}: {value}" for name, value in fields.items() if value]
            if details:
                ticket.description = "\n".join(filter(None, [ticket.description, *details]))
            ticket.updated_at = utcnow()
            ticket.version += 1
            session.add(ticket)
            return ticket.number
