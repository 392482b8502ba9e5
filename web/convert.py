"""Service results to response shapes (no I/O here)."""

from __future__ import annotations

from ticketing.access.models import ApiToken, User
from ticketing.audit import AuditEntry
from ticketing.catalog.models import CATEGORY_LEVELS
from ticketing.catalog.service import CategoryView, TeamDetail
from ticketing.contact_merge import ContactMerge
from ticketing.contacts import ContactDetail
from ticketing.models import Address, Attachment, Ticket, TicketEntry
from ticketing.queries import TicketDetail
from ticketing.sla.engine import is_overdue
from web.schemas import AddressOut
from web.schemas_people import (
    AuditOut,
    CategoryOut,
    ContactDetailOut,
    ContactMergeOut,
    ContactOut,
    IdentityDetailOut,
    IdentityOut,
    TeamOut,
    TokenOut,
    UserOut,
)
from web.schemas_tickets import (
    AttachmentOut,
    CategoryRef,
    EntryOut,
    TeamRef,
    TicketDetailOut,
    TicketOut,
)


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


def address_out(address: Address) -> AddressOut:
    return AddressOut.model_validate(address, from_attributes=True)


def contact_detail_out(detail: ContactDetail) -> ContactDetailOut:
    c = detail.contact
    assert c.id is not None
    return ContactDetailOut(
        id=c.id,
        kind=c.kind,
        display_name=c.display_name,
        organisation_id=c.organisation_id,
        merged_into_id=c.merged_into_id,
        created_at=c.created_at,
        updated_at=c.updated_at,
        identities=[
            IdentityDetailOut(id=i.id or 0, kind=i.kind.value, value=i.value)
            for i in detail.identities
        ],
        addresses=[address_out(a) for a in detail.addresses],
    )


def merge_out(merge: ContactMerge) -> ContactMergeOut:
    return ContactMergeOut.model_validate(merge, from_attributes=True)


def team_out(detail: TeamDetail) -> TeamOut:
    t = detail.team
    return TeamOut(
        id=t.id or 0, name=t.name, description=t.description, member_ids=detail.member_ids
    )


def category_out(view: CategoryView) -> CategoryOut:
    c = view.category
    return CategoryOut(
        id=c.id or 0,
        parent_id=c.parent_id,
        code=c.code,
        path=c.path,
        name=c.name,
        names=view.names,
        level=CATEGORY_LEVELS[c.level],
        active=c.active,
    )


def audit_out(entry: AuditEntry) -> AuditOut:
    return AuditOut.model_validate(entry, from_attributes=True)


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut.model_validate({**ticket.model_dump(), "overdue": is_overdue(ticket)})


def entry_out(entry: TicketEntry) -> EntryOut:
    return EntryOut.model_validate(entry, from_attributes=True)


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut.model_validate(attachment, from_attributes=True)


def ticket_detail_out(detail: TicketDetail) -> TicketDetailOut:
    contact = None
    if detail.contact is not None:
        contact = ContactOut(
            id=detail.contact.id or 0,
            display_name=detail.contact.display_name,
            identities=[IdentityOut(kind=i.kind.value, value=i.value) for i in detail.identities],
        )
    category = None
    if detail.category_path:
        leaf = detail.category_path[-1]
        category = CategoryRef(
            id=leaf.id or 0, path=leaf.path, names=[c.name for c in detail.category_path]
        )
    team = TeamRef(id=detail.team.id or 0, name=detail.team.name) if detail.team else None
    return TicketDetailOut(
        **ticket_out(detail.ticket).model_dump(),
        description=detail.ticket.description,
        contact=contact,
        entries=[entry_out(e) for e in detail.entries],
        assignee_ids=detail.assignee_ids,
        tags=detail.tags,
        addresses=[address_out(a) for a in detail.addresses],
        attachments=[attachment_out(a) for a in detail.attachments],
        category=category,
        team=team,
        merged_into=detail.merged_into,
        fields={k: v for k, v in detail.fields.items() if v is not None},
    )
