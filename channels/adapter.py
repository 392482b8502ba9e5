"""The one interface every channel implements, and the shapes crossing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    """A message as a channel received it, verified, before it is stored."""

    channel: str
    provider_id: str  # unique per channel: the de-duplication key
    sender: str  # the identity value in its stored form (E.164, lowercased email, ...)
    body: str
    subject: str = ""
    sender_name: str = ""
    html: str = ""
    refs: tuple[str, ...] = ()  # ids of messages this one answers (In-Reply-To, References)
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[InboundAttachment, ...] = ()
    ignore_reason: str = ""  # stored for the record but never threaded (auto-replies ...)


@dataclass(frozen=True)
class Outbound:
    """One message to send, as the outbox hands it to the channel's adapter."""

    outbox_id: int
    recipient: str
    subject: str
    body: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """What a reply entry becomes on a channel, composed when it enters the outbox."""

    subject: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)
    refs: tuple[str, ...] = ()  # message ids to remember for threading the answers


@dataclass(frozen=True)
class Sent:
    provider_id: str


class SendError(Exception):
    """Sending failed; ``permanent`` ones are not retried (a refused recipient)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelAdapter(Protocol):
    name: str  # "email", "sms", ...: the entry and ticket channel
    identity: IdentityKind  # how the customer is known on this channel
    entry_kind: EntryKind  # the kind of the ticket entry an inbound message becomes
    thread_by_contact: bool  # a message without reply refs joins the contact's open ticket
    opt_out_keywords: bool  # STOP / LOPETA / STOPP / СТОП end messages to the sender

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft: ...

    async def send(self, message: Outbound) -> Sent: ...
