"""The web chat channel. A visitor is known by the email of the pre-chat form; the
conversation token the widget keeps (signed, so it cannot be forged to read someone
else's chat) carries that email, their name and the conversation id, and lets a reloaded
page resume. Agent replies are pushed to the open sockets (of any process, through the
bus); a visitor who is away sees them in the history when they come back (the reply
counts as sent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Outbound, Sent
from channels.chat.hub import ChatHub
from channels.models import ChannelInbound
from ticketing.models import Attachment, EntryKind, IdentityKind, Ticket, TicketEntry

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
        self._files = URLSafeSerializer(secret, salt="switchboard.chat.file")

    def token(self, email: str, name: str) -> tuple[str, Visitor]:
        visitor = Visitor(uuid.uuid4().hex, email, name)
        return self._tokens.dumps([visitor.conversation, email, name]), visitor

    def visitor(self, token: str) -> Visitor | None:
        try:
            conversation, email, name = self._tokens.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        return Visitor(str(conversation), str(email), str(name))

    def file_url(self, attachment_id: int) -> str:
        """A link to one file of a chat, for the visitor (signed: ids cannot be guessed)."""
        return f"/api/channels/chat/files/{self._files.dumps(attachment_id)}"

    def file_id(self, token: str) -> int | None:
        try:
            attachment_id = self._files.loads(token)
        except BadSignature:
            return None
        return attachment_id if isinstance(attachment_id, int) else None

    async def files(
        self, session: AsyncSession, entry_ids: list[int]
    ) -> dict[int, list[dict[str, Any]]]:
        """The files of these entries, as the widget shows them."""
        found: dict[int, list[dict[str, Any]]] = {}
        if not entry_ids:
            return found
        rows = await session.exec(
            select(Attachment)
            .where(col(Attachment.entry_id).in_(entry_ids))
            .order_by(col(Attachment.id))
        )
        for a in rows.all():
            assert a.id is not None and a.entry_id is not None
            found.setdefault(a.entry_id, []).append(
                {"name": a.filename, "size": a.size, "url": self.file_url(a.id)}
            )
        return found

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
        assert entry.id is not None
        files = (await self.files(session, [entry.id])).get(entry.id, [])
        return Draft(
            subject="",
            body=entry.body,
            meta={
                "conversation": conversation,
                "author": entry.author_name,
                "entry": entry.id,
                "files": files,
            },
        )

    async def send(self, message: Outbound) -> Sent:
        conversation = str(message.meta.get("conversation", ""))
        pushed = await self.hub.send(
            conversation,
            {
                "type": "message",
                "from": "agent",
                "author": message.meta.get("author", ""),
                "text": message.body,
                "id": f"out-{message.outbox_id}",
                "files": message.meta.get("files", []),
            },
        )
        return Sent(provider_id=f"chat-{message.outbox_id}" + ("" if pushed else "-stored"))
