"""The email adapter: replies rendered from per-language templates, sent over SMTP with
the headers that thread them (Message-ID, In-Reply-To, References, the number in the
subject) and mark them as automatic for other desks' loop protection. A reply carrying
files (``channels.file_replies``) sends them as attachments, read from the store when
the mail is sent."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Outbound, SendError, Sent
from channels.email.unsubscribe import UnsubscribeLinks
from channels.models import ChannelInbound
from channels.outgoing_files import ReplyFile, caption, files_meta, read_file, reply_files
from channels.settings import EmailSettings
from ticketing.attachments import AttachmentStore
from ticketing.models import Contact, EntryKind, IdentityKind, Ticket, TicketEntry

LANGUAGES = ("en", "fi", "sv", "uk")
SUBJECT_PREFIX = {"en": "Re", "fi": "Vs", "sv": "Sv", "uk": "Re"}


class EmailAdapter:
    name = "email"
    identity = IdentityKind.EMAIL
    entry_kind = EntryKind.EMAIL
    thread_by_contact = False
    opt_out_keywords = False

    def __init__(
        self,
        settings: EmailSettings,
        links: UnsubscribeLinks | None = None,
        store: AttachmentStore | None = None,
    ) -> None:
        self.settings = settings
        self.links = links  # List-Unsubscribe on broadcast mail, and its mailto requests
        self.store = store  # where a reply's files are read from
        self.templates = Environment(
            loader=PackageLoader("channels.email", "templates"),
            undefined=StrictUndefined,
            autoescape=False,  # plain text mail
            keep_trailing_newline=True,
        )
        self.domain = settings.address.rpartition("@")[2] or "localhost"

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
        last = (
            await session.exec(
                select(ChannelInbound)
                .where(ChannelInbound.ticket_id == ticket.id, ChannelInbound.channel == "email")
                .order_by(col(ChannelInbound.id).desc())
            )
        ).first()
        language = str((last.meta.get("language") if last else None) or self.settings.language)
        if language not in LANGUAGES:
            language = "en"
        files = await files_meta(session, entry)
        attached = reply_files(files)
        body = self.templates.get_template(f"reply.{language}.txt.j2").render(
            name=(contact.display_name if contact else "") or recipient,
            body=caption(entry.body, attached),  # not a lone file name
            attachments=[f.filename for f in attached],
            organisation=self.settings.organisation,
            number=ticket.number,
        )
        message_id = f"<{uuid.uuid4().hex}.{ticket.number}@{self.domain}>"
        meta: dict[str, object] = {"message_id": message_id, "language": language, **files}
        if last is not None and last.meta.get("message_id"):
            meta["in_reply_to"] = last.meta["message_id"]
            meta["references"] = [*last.refs[-10:], last.meta["message_id"]]
        topic = last.subject if last is not None and last.subject else ticket.subject
        subject = f"{SUBJECT_PREFIX[language]}: {_bare(topic)} [#{ticket.number}]"
        return Draft(subject=subject, body=body, meta=meta, refs=(message_id,))

    async def control(self, session: AsyncSession, message: ChannelInbound) -> str:
        """A mail that is a request rather than a message (to the unsubscribe mailto:
        link): done here; why it is not threaded, or ""."""
        return await self.links.requested_by_mail(session, message) if self.links else ""

    def render(
        self, message: Outbound, files: list[tuple[ReplyFile, bytes]] | None = None
    ) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((self.settings.organisation, self.settings.address))
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = str(message.meta["message_id"])
        if message.meta.get("in_reply_to"):
            mail["In-Reply-To"] = str(message.meta["in_reply_to"])
            mail["References"] = " ".join(message.meta.get("references", []))
        if message.meta.get("bulk"):  # a broadcast: never to be answered automatically
            mail["Auto-Submitted"] = "auto-generated"
            mail["Precedence"] = "bulk"
            if self.links is not None:
                for name, value in self.links.headers(message.recipient).items():
                    mail[name] = value
        else:
            mail["Auto-Submitted"] = "auto-replied"
        mail.set_content(message.body)  # clears Content-* headers: they come after
        mail["Content-Language"] = str(message.meta.get("language", "en"))
        for file, data in files or ():
            maintype, _, subtype = file.content_type.partition("/")
            mail.add_attachment(data, maintype, subtype or "octet-stream", filename=file.filename)
        return mail

    async def send(self, message: Outbound) -> Sent:
        s = self.settings
        files = [(f, await read_file(self.store, f)) for f in reply_files(message.meta)]
        try:
            await aiosmtplib.send(
                self.render(message, files),
                hostname=s.relay_host,
                port=s.relay_port,
                username=s.relay_username or None,
                password=s.relay_password or None,
                start_tls=s.relay_starttls,
                timeout=30,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"{exc.__class__.__name__}: {exc}") from exc
        return Sent(provider_id=str(message.meta["message_id"]))


def _bare(subject: str) -> str:
    """The subject without reply prefixes and ticket numbers, which we add back once."""
    import re

    subject = re.sub(r"\[#?\d{4}-\d{6}\]", "", subject)
    while True:
        stripped = re.sub(r"^\s*(re|fw|fwd|vs|sv|aw)\s*:\s*", "", subject, flags=re.IGNORECASE)
        if stripped == subject:
            return " ".join(subject.split())
        subject = stripped
