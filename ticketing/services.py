"""Every ticketing service, built once over one database (by the composition root)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from switchboard.bus import EventBus, LocalBus
from switchboard.db import Database
from switchboard.secrets import Secrets
from switchboard.settings import Settings
from ticketing.access.authn import Authenticator
from ticketing.access.sessions import SessionCodec
from ticketing.access.users import UserService
from ticketing.attachments import AttachmentService, AttachmentStore
from ticketing.audit_log import AuditLog
from ticketing.automation.service import RuleService
from ticketing.automation.webhooks import WebhookSender, WebhookService
from ticketing.catalog.service import CatalogService
from ticketing.contact_merge import ContactMerger
from ticketing.contacts import ContactService
from ticketing.export import TicketExport
from ticketing.queries import TicketQueries
from ticketing.scheduler import Scheduler
from ticketing.search import TicketSearch
from ticketing.sla.escalation import SlaEscalation
from ticketing.sla.service import SlaService
from ticketing.streets import StreetRegistry
from ticketing.thread import ThreadService
from ticketing.ticket_merge import TicketMerger
from ticketing.ticket_service import TicketService


@dataclass(frozen=True)
class Ticketing:
    auth: Authenticator
    users: UserService
    contacts: ContactService
    contact_merges: ContactMerger
    catalog: CatalogService
    streets: StreetRegistry
    tickets: TicketService
    queries: TicketQueries
    thread: ThreadService
    ticket_merges: TicketMerger
    attachments: AttachmentService
    search: TicketSearch
    export: TicketExport
    audit: AuditLog
    sla: SlaService
    scheduler: Scheduler
    rules: RuleService
    webhooks: WebhookService
    webhook_sender: WebhookSender


def build_ticketing(
    db: Database,
    *,
    api_token: str,
    session_key: str,
    default_region: str,
    attachments_dir: Path,
    attachment_max_bytes: int,
    attachment_types: Sequence[str],
    bus: EventBus | None = None,
    webhook_client: httpx.AsyncClient | None = None,
) -> Ticketing:
    store = AttachmentStore(attachments_dir, attachment_max_bytes, frozenset(attachment_types))
    search = TicketSearch(db)
    return Ticketing(
        auth=Authenticator(db, api_token, SessionCodec(session_key)),
        users=UserService(db),
        contacts=ContactService(db, default_region),
        contact_merges=ContactMerger(db),
        catalog=CatalogService(db),
        streets=StreetRegistry(db),
        tickets=TicketService(db),
        queries=TicketQueries(db),
        thread=ThreadService(db),
        ticket_merges=TicketMerger(db),
        attachments=AttachmentService(db, store),
        search=search,
        export=TicketExport(db, search),
        audit=AuditLog(db),
        sla=SlaService(db),
        scheduler=Scheduler(db, SlaEscalation(bus or LocalBus()).handlers()),
        rules=RuleService(db),
        webhooks=WebhookService(db),
        webhook_sender=WebhookSender(db, webhook_client),
    )


def configured_ticketing(
    settings: Settings, secrets: Secrets, db: Database, bus: EventBus
) -> Ticketing:
    """The services as the settings configure them (the system, and CLI commands)."""
    return build_ticketing(
        db,
        api_token=secrets.api_token,
        session_key=secrets.session_key,
        default_region=settings.calls.default_region,
        attachments_dir=settings.state_dir / "attachments",
        attachment_max_bytes=settings.tickets.attachment_max_bytes,
        attachment_types=settings.tickets.attachment_types,
        bus=bus,
    )
