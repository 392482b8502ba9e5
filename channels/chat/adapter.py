"""The web chat channel. A visitor is known by the email of the pre-chat form; the
conversation token the widget keeps (signed, so it cannot be forged to read someone
else's chat) carries that email, their name and the conversation id, and lets a reloaded
page resume. Agent replies are pushed to the open sockets; a visitor who is away sees
them in the history when they come back (the reply counts as sent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Outbound, Sent
from channels.chat.hub import ChatHub
from channels.models import ChannelInbound
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry

CHANNEL = "chat"


@dataclass(frozen=True)
class Visitor:
    conversation: str
    email: str
    name: str


class ChatAdapter:
    name = CHANNEL
    identity = IdentityKind.EMAIL
    entry_kind = EntryKind.CHAT
    thread_by_contact = True
    opt_out_keywords = False

    def __init__(self, secret: str, hub: ChatHub | None = None) -> None:
        self.hub = hub or ChatHub()
        self._tokens = URLSafeSerializer(secret, salt="switchboard.chat")

    def token(self, email: str, name: str) -> tuple[str, Visitor]:
        visitor = Visitor(uuid.uuid4().hex, email, name)
        return self._tokens.dumps([visitor.conversation, email, name]), visitor

    def visitor(self, token: str) -> Visitor | None:
        try:
            conversation, email, name = self._tokens.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        return Visitor(str(conversation), str(email), str(name))

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        last = (
            await session.exec(
                select(ChannelInbound)
                .where(ChannelInbound.ticket_id == ticket.id, ChannelInbound.channel == CHANNEL)
                .order_by(col(ChannelInbound.id).desc())
            )
        ).first()
        conversation = str(last.meta.get("conversation", "")) if last else ""
        return Draft(
            subject="",
            body=entry.body,
            meta={"conversation": conversation, "author": entry.author_name, "entry": entry.id},
        )

    async def send(self, message: Outbound) -> Sent:
        conversation = str(message.meta.get("conversation", ""))
        pushed = await self.hub.push(
            conversation,
            {
                "type": "message",
                "from": "agent",
                "author": message.meta.get("author", ""),
                "text": message.body,
                "id": f"out-{message.outbox_id}",
            },
        )
        return Sent(provider_id=f"chat-{message.outbox_id}" + ("" if pushed else "-stored"))
