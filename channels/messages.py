"""Reading a ticket's channel traffic for the desk: the messages as received (sanitised
HTML, sender, reply headers, why one was ignored) and the replies with their delivery
status, attempts and last error."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from channels.models import ChannelInbound, ChannelOutbox
from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.tickets import load_ticket


@dataclass(frozen=True)
class TicketTraffic:
    inbound: list[ChannelInbound]
    outbound: list[ChannelOutbox]


class ChannelMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_ticket(self, actor: Principal, number: str) -> TicketTraffic:
        async with self.db.session() as session:
            ticket = await load_ticket(self.db, session, actor, number)
            inbound = await session.exec(
                select(ChannelInbound)
                .where(ChannelInbound.ticket_id == ticket.id)
                .order_by(col(ChannelInbound.id))
            )
            outbound = await session.exec(
                select(ChannelOutbox)
                .where(ChannelOutbox.ticket_id == ticket.id)
                .order_by(col(ChannelOutbox.id))
            )
            return TicketTraffic(list(inbound.all()), list(outbound.all()))
