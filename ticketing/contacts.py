"""Finding a contact by any of its identities, creating it on first contact."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ticketing.models import Contact, ContactIdentity, IdentityKind


async def find_contact(session: AsyncSession, kind: IdentityKind, value: str) -> Contact | None:
    statement = (
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
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
