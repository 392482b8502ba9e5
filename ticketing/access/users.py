"""Users: creating them, their roles, passwords and API tokens; every change audited."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.models import ApiToken, User
from ticketing.access.passwords import generate_password, hash_password
from ticketing.access.roles import Principal, Role
from ticketing.access.tokens import new_token, token_hash
from ticketing.audit import audit, snapshot
from ticketing.contacts import find_or_create_contact
from ticketing.errors import Conflict, InvalidInput, NotFound
from ticketing.identities import normalise_email
from ticketing.models import Contact, ContactKind, IdentityKind

_UNSET = object()


class UserService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        actor: Principal,
        *,
        email: str,
        name: str,
        role: Role,
        password: str | None = None,
        organisation_id: int | None = None,
    ) -> tuple[User, str | None]:
        """The new user, and its generated password when none was given (shown once)."""
        email = normalise_email(email)
        generated = None if password else generate_password()
        password_hash = await hash_password(password or generated or "")
        async with self.db.transaction() as session:
            if (await _by_email(session, email)) is not None:
                raise Conflict(f"a user with email {email} already exists")
            await _check_organisation(session, role, organisation_id)
            user = User(
                email=email,
                name=name.strip() or email,
                role=role,
                password_hash=password_hash,
                organisation_id=organisation_id if role is Role.PARTNER else None,
            )
            if role is Role.CUSTOMER:
                contact = await find_or_create_contact(
                    session, IdentityKind.EMAIL, email, display_name=user.name
                )
                user.contact_id = contact.id
            session.add(user)
            await session.flush()
            audit(session, actor, "user.create", "user", user.id, after=snapshot(user))
        return user, generated

    async def list(self, *, limit: int = 100, after_id: int | None = None) -> list[User]:
        async with self.db.session() as session:
            statement = select(User).order_by(User.id).limit(limit)  # type: ignore[arg-type]
            if after_id is not None:
                statement = statement.where(User.id > after_id)  # type: ignore[operator]
            return list((await session.exec(statement)).all())

    async def get(self, user_id: int) -> User:
        async with self.db.session() as session:
            return await _get(session, user_id)

    async def by_email(self, email: str) -> User:
        async with self.db.session() as session:
            user = await _by_email(session, normalise_email(email))
            if user is None:
                raise NotFound(f"no user with email {email.strip().lower()}")
            return user

    async def update(
        self,
        actor: Principal,
        user_id: int,
        *,
        name: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        organisation_id: object = _UNSET,  # int, or None for none
    ) -> User:
        async with self.db.transaction() as session:
            user = await _get(session, user_id)
            before = snapshot(user)
            if actor.user_id == user.id and (role not in (None, user.role) or active is False):
                raise Conflict("you cannot change your own role or disable yourself")
            if name is not None:
                user.name = name.strip() or user.name
            new_org = user.organisation_id if organisation_id is _UNSET else organisation_id
            new_role = role or user.role
            assert new_org is None or isinstance(new_org, int)
            await _check_organisation(session, new_role, new_org)
            if new_role is Role.CUSTOMER and user.contact_id is None:
                contact = await find_or_create_contact(
                    session, IdentityKind.EMAIL, user.email, display_name=user.name
                )
                user.contact_id = contact.id
            ends_sessions = new_role != user.role or (active is False and user.active)
            user.role = new_role
            user.organisation_id = new_org if new_role is Role.PARTNER else None
            if active is not None:
                user.active = active
            if ends_sessions:
                user.session_version += 1
            user.updated_at = utcnow()
            session.add(user)
            await session.flush()
            audit(
                session, actor, "user.update", "user", user.id, before=before, after=snapshot(user)
            )
        return user

    async def set_password(
        self, actor: Principal, user_id: int, password: str | None
    ) -> str | None:
        """Set (or generate and return) a new password; ends the user's web sessions."""
        generated = None if password else generate_password()
        password_hash = await hash_password(password or generated or "")
        async with self.db.transaction() as session:
            user = await _get(session, user_id)
            user.password_hash = password_hash
            user.session_version += 1
            user.updated_at = utcnow()
            session.add(user)
            audit(session, actor, "user.password", "user", user.id)
        return generated

    async def create_token(self, actor: Principal, user_id: int, name: str) -> tuple[ApiToken, str]:
        """A new token acting as ``user_id``; the plain token is returned here only."""
        plain = new_token()
        async with self.db.transaction() as session:
            user = await _get(session, user_id)
            if not user.active:
                raise Conflict(f"user {user.email} is disabled")
            token = ApiToken(
                user_id=user_id,
                name=name.strip() or "token",
                token_hash=token_hash(plain),
                prefix=plain[:10],
            )
            session.add(token)
            await session.flush()
            audit(session, actor, "token.create", "token", token.id, after=snapshot(token))
        return token, plain

    async def list_tokens(self, user_id: int | None = None) -> list[ApiToken]:
        async with self.db.session() as session:
            statement = select(ApiToken).order_by(ApiToken.id)  # type: ignore[arg-type]
            if user_id is not None:
                statement = statement.where(ApiToken.user_id == user_id)
            return list((await session.exec(statement)).all())

    async def revoke_token(self, actor: Principal, token_id: int) -> ApiToken:
        async with self.db.transaction() as session:
            token = await session.get(ApiToken, token_id)
            if token is None:
                raise NotFound(f"token {token_id} not found")
            if token.revoked_at is None:
                before = snapshot(token)
                token.revoked_at = utcnow()
                session.add(token)
                audit(
                    session,
                    actor,
                    "token.revoke",
                    "token",
                    token.id,
                    before=before,
                    after=snapshot(token),
                )
        return token


async def _get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


async def _by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.exec(select(User).where(User.email == email))).first()


async def _check_organisation(
    session: AsyncSession, role: Role, organisation_id: int | None
) -> None:
    if role is not Role.PARTNER:
        return
    if organisation_id is None:
        raise InvalidInput("a partner belongs to an organisation: give organisation_id")
    organisation = await session.get(Contact, organisation_id)
    if organisation is None or organisation.kind is not ContactKind.ORGANISATION:
        raise InvalidInput(f"organisation {organisation_id} does not exist")
