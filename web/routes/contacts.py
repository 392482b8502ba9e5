"""Contacts: people and organisations, their identities and addresses, merging."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ticketing.contacts import AddressInput, IdentityInput
from ticketing.models import IdentityKind
from web.convert import contact_detail_out, merge_out
from web.deps import ContactMerger, ContactReader, ContactWriter, Cursor, PathId, Services
from web.schemas import AddressIn, Page
from web.schemas_people import (
    ContactDetailOut,
    ContactIn,
    ContactMergeOut,
    ContactPatch,
    ContactSummaryOut,
    IdentityIn,
    MergeContactIn,
)

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.get("")
async def list_contacts(
    services: Services,
    _actor: ContactReader,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> Page[ContactSummaryOut]:
    contacts = await services.contacts.list(limit=limit, after_id=cursor, name=name)
    items = [ContactSummaryOut.model_validate(c, from_attributes=True) for c in contacts]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("", status_code=201)
async def create_contact(
    body: ContactIn, services: Services, actor: ContactWriter
) -> ContactDetailOut:
    detail = await services.contacts.create(
        actor,
        display_name=body.display_name,
        kind=body.kind,
        organisation_id=body.organisation_id,
        identities=[IdentityInput(i.kind, i.value) for i in body.identities],
        addresses=[AddressInput(**a.model_dump()) for a in body.addresses],
    )
    return contact_detail_out(detail)


@router.get("/lookup")
async def lookup_contact(
    kind: IdentityKind,
    value: Annotated[str, Query(min_length=1, max_length=320)],
    services: Services,
    _actor: ContactReader,
) -> ContactDetailOut:
    """The contact owning an identity (phone numbers in any format, emails in any case)."""
    return contact_detail_out(await services.contacts.lookup(kind, value))


@router.get("/{contact_id}")
async def get_contact(
    contact_id: PathId, services: Services, _actor: ContactReader
) -> ContactDetailOut:
    return contact_detail_out(await services.contacts.get(contact_id))


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: PathId, body: ContactPatch, services: Services, actor: ContactWriter
) -> ContactDetailOut:
    detail = await services.contacts.update(
        actor,
        contact_id,
        display_name=body.display_name,
        organisation_id=body.organisation_id,
        clear_organisation=body.clear_organisation,
    )
    return contact_detail_out(detail)


@router.post("/{contact_id}/identities", status_code=201)
async def add_identity(
    contact_id: PathId, body: IdentityIn, services: Services, actor: ContactWriter
) -> ContactDetailOut:
    """Add an identity; one that belongs to another contact is a 409 naming it."""
    detail = await services.contacts.add_identity(
        actor, contact_id, IdentityInput(body.kind, body.value)
    )
    return contact_detail_out(detail)


@router.delete("/{contact_id}/identities/{identity_id}")
async def remove_identity(
    contact_id: PathId, identity_id: PathId, services: Services, actor: ContactWriter
) -> ContactDetailOut:
    return contact_detail_out(
        await services.contacts.remove_identity(actor, contact_id, identity_id)
    )


@router.post("/{contact_id}/addresses", status_code=201)
async def add_address(
    contact_id: PathId, body: AddressIn, services: Services, actor: ContactWriter
) -> ContactDetailOut:
    detail = await services.contacts.add_address(
        actor, contact_id, AddressInput(**body.model_dump())
    )
    return contact_detail_out(detail)


@router.post("/{contact_id}/merge")
async def merge_contact(
    contact_id: PathId, body: MergeContactIn, services: Services, actor: ContactMerger
) -> ContactMergeOut:
    """Merge ``source_id`` into this contact: identities, tickets and addresses move here."""
    merge = await services.contact_merges.merge(
        actor, source_id=body.source_id, target_id=contact_id
    )
    return merge_out(merge)


@router.get("/{contact_id}/merges")
async def contact_merges(
    contact_id: PathId, services: Services, _actor: ContactReader
) -> list[ContactMergeOut]:
    """Every merge this contact took part in, with what moved: for review."""
    return [merge_out(m) for m in await services.contact_merges.merges_of(contact_id)]
