"""Contacts: people and organisations, found by any of their identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.errors import Conflict, InvalidInput, NotFound, TicketingError
from ticketing.identities import normalise_identity
from ticketing.models import Address, Contact, ContactIdentity, ContactKind, IdentityKind
from ticketing.streets import street_registered

if TYPE_CHECKING:
    from ticketing.contact_import import ContactRow


async def find_contact(session: AsyncSession, kind: IdentityKind, value: str) -> Contact | None:
    statement = (
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)  # type: ignore[arg-type]
        .where(ContactIdentity.kind == kind, ContactIdentity.value == value)
    )
    return (await session.exec(statement)).first()


async def find_or_create_contact(
    session: AsyncSession, kind: IdentityKind, value: str, display_name: str = ""
) -> Contact:
    """The contact owning this identity; a new contact when nobody owns it yet.

    Two first contacts from the same number at once race on the identity's unique key;
    the loser rolls back its savepoint and takes the winner's contact.
    """
    existing = await find_contact(session, kind, value)
    if existing is not None:
        return existing
    try:
        async with session.begin_nested():
            contact = Contact(display_name=display_name or value)
            session.add(contact)
            await session.flush()
            assert contact.id is not None
            session.add(ContactIdentity(contact_id=contact.id, kind=kind, value=value))
            await session.flush()
            return contact
    except IntegrityError:
        winner = await find_contact(session, kind, value)
        if winner is None:
            raise
        return winner


@dataclass(frozen=True)
class ContactDetail:
    contact: Contact
    identities: list[ContactIdentity]
    addresses: list[Address]


@dataclass(frozen=True)
class IdentityInput:
    kind: IdentityKind
    value: str


@dataclass(frozen=True)
class AddressInput:
    street: str
    postal_code: str = ""
    city: str = ""
    country: str = ""
    label: str = ""


class ContactService:
    def __init__(self, db: Database, default_region: str) -> None:
        self.db = db
        self.default_region = default_region

    async def create(
        self,
        actor: Principal,
        *,
        display_name: str,
        kind: ContactKind = ContactKind.PERSON,
        organisation_id: int | None = None,
        identities: Sequence[IdentityInput] = (),
        addresses: Sequence[AddressInput] = (),
    ) -> ContactDetail:
        async with self.db.transaction() as session:
            await self._check_organisation(session, kind, organisation_id)
            contact = Contact(
                display_name=display_name.strip(), kind=kind, organisation_id=organisation_id
            )
            session.add(contact)
            await session.flush()
            assert contact.id is not None
            for identity in identities:
                await self._add_identity(session, contact.id, identity)
            for address in addresses:
                session.add(await checked_address(session, address, contact_id=contact.id))
            await session.flush()
            detail = await _detail(session, contact.id)
            audit(session, actor, "contact.create", "contact", contact.id, after=_snap(detail))
            return detail

    async def import_rows(self, actor: Principal, rows: Sequence[ContactRow]) -> int:
        """Create every row's contact in one transaction (organisations first, so people
        can name one from the same file); a row that fails names its line and nothing is
        kept. Returns how many contacts were created."""
        async with self.db.transaction() as session:
            organisations: dict[str, int] = {}
            ordered = sorted(rows, key=lambda r: r.kind is not ContactKind.ORGANISATION)
            for row in ordered:
                try:
                    organisation_id = None
                    if row.organisation:
                        organisation_id = organisations.get(
                            row.organisation.casefold()
                        ) or await _organisation_named(session, row.organisation)
                    contact = Contact(
                        display_name=row.name, kind=row.kind, organisation_id=organisation_id
                    )
                    session.add(contact)
                    await session.flush()
                    assert contact.id is not None
                    for identity in row.identities:
                        await self._add_identity(session, contact.id, identity)
                    for address in row.addresses:
                        session.add(await checked_address(session, address, contact_id=contact.id))
                    if row.kind is ContactKind.ORGANISATION:
                        organisations[row.name.casefold()] = contact.id
                except TicketingError as exc:
                    raise type(exc)(f"line {row.line}: {exc.message}; nothing imported") from exc
            await session.flush()
            audit(
                session, actor, "contacts.import", "contact", "import", after={"created": len(rows)}
            )
        return len(rows)

    async def get(self, contact_id: int) -> ContactDetail:
        async with self.db.session() as session:
            return await _detail(session, contact_id)

    async def lookup(self, kind: IdentityKind, value: str) -> ContactDetail:
        normalised = normalise_identity(kind, value, self.default_region)
        async with self.db.session() as session:
            contact = await find_contact(session, kind, normalised)
            if contact is None:
                raise NotFound(f"no contact with {kind.value} {normalised}")
            assert contact.id is not None
            return await _detail(session, contact.id)

    async def list(
        self, *, limit: int, after_id: int | None = None, name: str | None = None
    ) -> list[Contact]:
        """Contacts in id order (merged ones left out); ``name`` matches part of the name."""
        async with self.db.session() as session:
            statement = (
                select(Contact)
                .where(Contact.merged_into_id.is_(None))  # type: ignore[union-attr]
                .order_by(Contact.id)  # type: ignore[arg-type]
                .limit(limit)
            )
            if after_id is not None:
                statement = statement.where(Contact.id > after_id)  # type: ignore[operator]
            if name:
                pattern = f"%{name.strip().lower()}%"
                statement = statement.where(func.lower(Contact.display_name).like(pattern))
            return list((await session.exec(statement)).all())

    async def update(
        self,
        actor: Principal,
        contact_id: int,
        *,
        display_name: str | None = None,
        organisation_id: int | None = None,
        clear_organisation: bool = False,
    ) -> ContactDetail:
        async with self.db.transaction() as session:
            before = _snap(await _detail(session, contact_id))
            contact = await _get(session, contact_id)
            if display_name is not None:
                contact.display_name = display_name.strip()
            if organisation_id is not None or clear_organisation:
                await self._check_organisation(session, contact.kind, organisation_id)
                contact.organisation_id = organisation_id
            contact.updated_at = utcnow()
            session.add(contact)
            await session.flush()
            detail = await _detail(session, contact_id)
            audit(
                session,
                actor,
                "contact.update",
                "contact",
                contact_id,
                before=before,
                after=_snap(detail),
            )
            return detail

    async def add_identity(
        self, actor: Principal, contact_id: int, identity: IdentityInput
    ) -> ContactDetail:
        async with self.db.transaction() as session:
            await _get(session, contact_id)
            added = await self._add_identity(session, contact_id, identity)
            audit(
                session, actor, "contact.identity.add", "contact", contact_id, after=snapshot(added)
            )
            return await _detail(session, contact_id)

    async def remove_identity(
        self, actor: Principal, contact_id: int, identity_id: int
    ) -> ContactDetail:
        async with self.db.transaction() as session:
            identity = await session.get(ContactIdentity, identity_id)
            if identity is None or identity.contact_id != contact_id:
                raise NotFound(f"contact {contact_id} has no identity {identity_id}")
            audit(
                session,
                actor,
                "contact.identity.remove",
                "contact",
                contact_id,
                before=snapshot(identity),
            )
            await session.delete(identity)
            await session.flush()
            return await _detail(session, contact_id)

    async def add_address(
        self, actor: Principal, contact_id: int, address: AddressInput
    ) -> ContactDetail:
        async with self.db.transaction() as session:
            await _get(session, contact_id)
            row = await checked_address(session, address, contact_id=contact_id)
            session.add(row)
            await session.flush()
            audit(session, actor, "contact.address.add", "contact", contact_id, after=snapshot(row))
            return await _detail(session, contact_id)

    async def _add_identity(
        self, session: AsyncSession, contact_id: int, identity: IdentityInput
    ) -> ContactIdentity:
        value = normalise_identity(identity.kind, identity.value, self.default_region)
        owner = await find_contact(session, identity.kind, value)
        if owner is not None:
            if owner.id == contact_id:
                raise Conflict(f"contact {contact_id} already has {identity.kind.value} {value}")
            raise Conflict(
                f"{identity.kind.value} {value} already belongs to contact {owner.id} "
                f"({owner.display_name}); merge the two contacts instead"
            )
        row = ContactIdentity(contact_id=contact_id, kind=identity.kind, value=value)
        session.add(row)
        await session.flush()
        return row

    async def _check_organisation(
        self, session: AsyncSession, kind: ContactKind, organisation_id: int | None
    ) -> None:
        if organisation_id is None:
            return
        if kind is ContactKind.ORGANISATION:
            raise InvalidInput("an organisation cannot belong to another organisation")
        organisation = await session.get(Contact, organisation_id)
        if organisation is None or organisation.kind is not ContactKind.ORGANISATION:
            raise InvalidInput(f"organisation {organisation_id} does not exist")


def new_address(address: AddressInput, **owner: int) -> Address:
    if not address.street.strip():
        raise InvalidInput("an address needs a street")
    return Address(
        street=address.street.strip(),
        postal_code=address.postal_code.strip(),
        city=address.city.strip(),
        country=address.country.strip().upper(),
        label=address.label.strip(),
        **owner,
    )


async def checked_address(session: AsyncSession, address: AddressInput, **owner: int) -> Address:
    """A new address, flagged when its street is not in the street registry."""
    row = new_address(address, **owner)
    row.street_registered = await street_registered(session, row.street, row.postal_code)
    return row


async def _organisation_named(session: AsyncSession, name: str) -> int:
    rows = await session.exec(
        select(Contact.id).where(
            Contact.kind == ContactKind.ORGANISATION,
            or_(Contact.display_name == name, func.lower(Contact.display_name) == name.lower()),
            Contact.merged_into_id == None,  # noqa: E711
        )
    )
    found = list(rows.all())
    if not found:
        raise InvalidInput(f"no organisation is named {name!r}")
    if len(found) > 1:
        raise InvalidInput(f"{len(found)} organisations are named {name!r}: give them apart")
    assert found[0] is not None
    return found[0]


async def _get(session: AsyncSession, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    return contact


async def _detail(session: AsyncSession, contact_id: int) -> ContactDetail:
    contact = await _get(session, contact_id)
    identities = await session.exec(
        select(ContactIdentity)
        .where(ContactIdentity.contact_id == contact_id)
        .order_by(ContactIdentity.id)  # type: ignore[arg-type]
    )
    addresses = await session.exec(
        select(Address).where(Address.contact_id == contact_id).order_by(Address.id)  # type: ignore[arg-type]
    )
    return ContactDetail(contact, list(identities.all()), list(addresses.all()))


def _snap(detail: ContactDetail) -> dict[str, object]:
    return snapshot(
        detail.contact,
        identities=[f"{i.kind.value}:{i.value}" for i in detail.identities],
        addresses=[a.street for a in detail.addresses],
    )
