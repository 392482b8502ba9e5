"""The thread of a ticket: adding entries (replies, notes, messages from any channel)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Permission, Principal, Role
from ticketing.audit import audit, snapshot
from ticketing.automation.events import emit
from ticketing.errors import Forbidden, InvalidInput
from ticketing.models import EntryKind, Ticket, TicketEntry, TicketStatus
from ticketing.sla.engine import refresh_deadlines, status_changed
from ticketing.ticket_service import set_status
from ticketing.tickets import claim_version, load_ticket

SYSTEM_KINDS = frozenset({EntryKind.CALL, EntryKind.VOICEMAIL, EntryKind.EVENT})
OUTBOUND = frozenset({EntryKind.REPLY})
MAX_BODY = 100_000


@dataclass(frozen=True)
class NewEntry:
    kind: EntryKind
    body: str
    channel: str | None = None  # defaults: web for replies and notes, the kind for messages
    direction: str | None = None  # inbound / outbound; replies are always outbound


class ThreadService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, actor: Principal, number: str, new: NewEntry) -> TicketEntry:
        kind = new.kind
        if actor.role is Role.CUSTOMER and kind is not EntryKind.MESSAGE:
            raise Forbidden("customers add messages to their tickets")
        if kind in SYSTEM_KINDS:
            raise InvalidInput(f"{kind.value} entries are created by the system")
        if kind is EntryKind.NOTE and not actor.can(Permission.INTERNAL_NOTES):
            raise Forbidden("internal notes are for the desk only")
        body = new.body.strip()
        if not body:
            raise InvalidInput("an entry needs a body")
        if len(body) > MAX_BODY:
            raise InvalidInput(f"an entry body is at most {MAX_BODY} characters")
        direction = new.direction or "inbound"
        if direction not in ("inbound", "outbound"):
            raise InvalidInput("direction is inbound or outbound")
        if kind is EntryKind.REPLY:
            direction = "outbound"
        if kind is EntryKind.NOTE:
            direction = "internal"
        if actor.role is Role.CUSTOMER:
            direction = "inbound"
        channel = (new.channel or _default_channel(kind)).strip()[:32]
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            assert ticket.id is not None
            entry = TicketEntry(
                ticket_id=ticket.id,
                kind=kind,
                channel=channel if actor.role is not Role.CUSTOMER else "web",
                direction=direction,
                internal=kind is EntryKind.NOTE,
                author_user_id=actor.user_id,
                author_name=actor.name,
                body=body,
            )
            session.add(entry)
            await self._follow_up(session, actor, ticket, entry)
            await session.flush()
            audit(session, actor, "entry.create", "ticket", number, after=snapshot(entry))
            await emit(session, "entry.created", ticket, actor, entry)
            return entry

    async def _follow_up(
        self, session: AsyncSession, actor: Principal, ticket: Ticket, entry: TicketEntry
    ) -> None:
        """What an entry does to its ticket: first response time, a customer's answer."""
        now = utcnow()
        if entry.direction == "outbound" and actor.is_staff and ticket.first_response_at is None:
            await claim_version(session, ticket, None)
            ticket.first_response_at = now
            await refresh_deadlines(session, ticket)
            session.add(ticket)
        elif entry.direction == "inbound" and ticket.status is TicketStatus.PENDING:
            # Pending means waiting for the customer; their answer puts it back in the queue.
            await claim_version(session, ticket, None)
            set_status(ticket, TicketStatus.OPEN)
            await status_changed(session, ticket, TicketStatus.PENDING, now)
            session.add(ticket)
        else:
            await session.exec(
                update(Ticket)
                .where(Ticket.id == ticket.id)  # type: ignore[arg-type]
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )


def _default_channel(kind: EntryKind) -> str:
    if kind in (EntryKind.EMAIL, EntryKind.SMS, EntryKind.CHAT, EntryKind.FORM):
        return kind.value
    return "web"
