"""An agent's reply carrying a file, on a customer channel that can deliver files (email,
web chat and the messaging apps): the reply entry and its attachment commit together, and
the outbox sends them like any reply. The attachment rules (name, type, size, content)
apply before anything is kept. Also: the file behind a signed link, for the provider
fetching it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from channels.media_links import MediaLinks
from switchboard.db import Database
from ticketing.access.roles import Principal
from ticketing.attachments import AttachmentService, AttachmentStore
from ticketing.automation.events import emit
from ticketing.errors import InvalidInput, NotFound
from ticketing.models import Attachment, EntryKind, TicketEntry
from ticketing.tickets import load_ticket

MAX_TEXT = 4000


class FileReplies:
    def __init__(
        self,
        db: Database,
        store: AttachmentStore,
        channels: Mapping[str, str],
        links: MediaLinks | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.attachments = AttachmentService(db, store)
        self.channels = channels  # channel -> "" when it takes files, else why it cannot
        self.links = links

    def check_channel(self, channel: str) -> None:
        if channel not in self.channels:
            raise NotFound(f"{channel} is not a configured channel that takes files")
        if self.channels[channel]:
            raise InvalidInput(self.channels[channel])

    async def send(
        self,
        actor: Principal,
        number: str,
        channel: str,
        filename: str,
        chunks: AsyncIterator[bytes],
        text: str = "",
    ) -> TicketEntry:
        """A reply on ``channel`` carrying the file, with ``text`` (or the file's name)."""
        self.check_channel(channel)
        text = text.strip()
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"the text with a file is at most {MAX_TEXT} characters")
        stored = await self.attachments.store_for(actor, number, filename, chunks)
        async with self.db.transaction() as session:
            ticket = await load_ticket(self.db, session, actor, number, for_update=True)
            assert ticket.id is not None
            entry = TicketEntry(
                ticket_id=ticket.id,
                kind=EntryKind.REPLY,
                channel=channel,
                direction="outbound",
                author_user_id=actor.user_id,
                author_name=actor.name,
                body=text or stored.filename,
            )
            session.add(entry)
            await session.flush()
            assert entry.id is not None
            await self.attachments.attach(session, actor, ticket, stored, entry.id)
            await emit(session, "entry.created", ticket, actor, entry)
            return entry

    async def open_linked(
        self, attachment_id: int, expires: str, signature: str
    ) -> tuple[Attachment, Path]:
        """The file a signed link names: Forbidden for a changed or expired link,
        NotFound when the file is not a public reply's."""
        if self.links is None:
            raise NotFound("file links are not enabled: set channels.public_base_url")
        self.links.check(attachment_id, expires, signature)
        async with self.db.session() as session:
            attachment = await session.get(Attachment, attachment_id)
            entry_id = attachment.entry_id if attachment else None
            entry = await session.get(TicketEntry, entry_id) if entry_id else None
        if attachment is None or entry is None or entry.internal:
            raise NotFound("no such file")
        path = self.store.path(attachment.sha256)
        if not path.is_file():
            raise NotFound("the file is missing from the store")
        return attachment, path
