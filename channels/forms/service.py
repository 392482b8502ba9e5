"""Submitting a web form: spam trap and rate limit, validation, then the one inbound
path (stored once per submission id, so a double click is one ticket), threaded at once
so the confirmation can give the ticket number."""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.adapter import Draft, Inbound, InboundAttachment, Outbound, SendError, Sent
from channels.forms.definition import FormDefinition
from channels.inbox import Inbox
from channels.models import ChannelInbound
from channels.threader import Threader
from ticketing.errors import InvalidInput
from ticketing.identities import normalise_email
from ticketing.models import EntryKind, IdentityKind, Ticket, TicketEntry
from ticketing.phone import normalise_phone

CHANNEL = "form"
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
TEXT = {
    "en": {
        "send": "Send",
        "fix": "Please correct these:",
        "thanks": "Thank you. Your request number is",
    },
    "fi": {"send": "Lähetä", "fix": "Korjaa nämä:", "thanks": "Kiitos. Pyyntösi numero on"},
    "sv": {"send": "Skicka", "fix": "Rätta följande:", "thanks": "Tack. Ditt ärendenummer är"},
    "uk": {
        "send": "Надіслати",
        "fix": "Виправте, будь ласка:",
        "thanks": "Дякуємо. Номер вашого звернення",
    },
}


class FormAdapter:
    """Forms only come in; the desk answers them by email."""

    name = CHANNEL
    identity = IdentityKind.EMAIL
    entry_kind = EntryKind.FORM
    thread_by_contact = False
    opt_out_keywords = False

    async def compose(
        self, session: AsyncSession, ticket: Ticket, entry: TicketEntry, recipient: str
    ) -> Draft:
        return Draft(subject="", body=entry.body)

    async def send(self, message: Outbound) -> Sent:
        raise SendError("a form cannot be answered on the form: reply by email", permanent=True)


@dataclass
class Invalid(Exception):
    errors: dict[str, str]


class RateLimited(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    data: bytes


@dataclass
class FormService:
    forms: dict[str, FormDefinition]
    inbox: Inbox
    threader: Threader
    default_region: str = "FI"
    per_client: int = 5  # submissions per client address per window
    window_seconds: float = 600.0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=PackageLoader("channels.forms", "templates"),
            autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        )

    def render(
        self,
        form: FormDefinition,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        number: str | None = None,
    ) -> str:
        submission = (values or {}).get("submission", "")
        return self.templates.get_template("form.html.j2").render(
            form=form,
            values=values or {},
            errors=errors or {},
            number=number,
            submission=submission if SUBMISSION.match(submission) else uuid.uuid4().hex,
            text=TEXT[form.language],
        )

    def check_rate(self, client: str) -> None:
        now = time.monotonic()
        recent = self._recent[client]
        while recent and recent[0] < now - self.window_seconds:
            recent.popleft()
        if len(recent) >= self.per_client:
            raise RateLimited
        recent.append(now)

    async def submit(
        self, form: FormDefinition, values: dict[str, str], uploads: list[Upload]
    ) -> str:
        """The ticket number of the submission; Invalid with a message per field."""
        clean, errors = self._validate(form, values, uploads)
        if errors:
            raise Invalid(errors)
        submission = values.get("submission", "")
        if not SUBMISSION.match(submission):
            raise Invalid({"submission": "the form expired: please send it again"})
        subject = clean.get(form.subject_field, "") if form.subject_field else ""
        body = "\n".join(f"{f.label}: {clean[f.name]}" for f in form.fields if clean.get(f.name))
        meta: dict[str, object] = {"form": form.slug, "fields": clean}
        if form.category_id is not None:
            meta["category_id"] = form.category_id
        received = await self.inbox.receive(
            Inbound(
                channel=CHANNEL,
                provider_id=f"{form.slug}:{submission}",
                sender=clean[form.contact_field.name],
                sender_name=clean.get("name", ""),
                subject=(subject or form.title)[:300],
                body=body,
                meta=meta,
                attachments=tuple(
                    InboundAttachment(u.filename, "", u.data) for u in uploads if u.data
                ),
            )
        )
        await self.threader.thread_one(received.inbound_id)
        return await self._number(received.inbound_id)

    async def _number(self, inbound_id: int) -> str:
        async with self.inbox.db.session() as session:
            row = await session.get(ChannelInbound, inbound_id)
            ticket = await session.get(Ticket, row.ticket_id) if row and row.ticket_id else None
            if ticket is None:
                raise Invalid({"submission": "your message was kept but could not be filed"})
            return ticket.number

    def _validate(
        self, form: FormDefinition, values: dict[str, str], uploads: list[Upload]
    ) -> tuple[dict[str, str], dict[str, str]]:
        clean: dict[str, str] = {}
        errors: dict[str, str] = {}
        sent_files = {u.field for u in uploads if u.data}
        for f in form.fields:
            if f.type == "file":
                if f.required and f.name not in sent_files:
                    errors[f.name] = f"{f.label}: please attach a file"
                continue
            value = values.get(f.name, "").strip()
            if not value:
                if f.required:
                    errors[f.name] = f"{f.label}: this is required"
                continue
            if len(value) > f.max_length:
                errors[f.name] = f"{f.label}: at most {f.max_length} characters"
            elif f.type == "email":
                try:
                    value = normalise_email(value)
                except InvalidInput:
                    errors[f.name] = f"{f.label}: not an email address"
            elif f.type == "tel":
                number = normalise_phone(value, self.default_region)
                if number is None:
                    errors[f.name] = f"{f.label}: not a phone number"
                value = number or value
            elif f.type == "select" and value not in f.choices:
                errors[f.name] = f"{f.label}: choose one of the options"
            clean[f.name] = value
        return clean, errors
