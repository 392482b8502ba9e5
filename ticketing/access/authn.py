"""Turning credentials into a principal: the built-in API token, user tokens, sessions."""

from __future__ import annotations

import hmac
import logging

from sqlmodel import select

from switchboard.db import Database
from ticketing.access.models import ApiToken, User
from ticketing.access.passwords import verify_password
from ticketing.access.roles import SYSTEM, Principal
from ticketing.access.sessions import SessionClaim, SessionCodec
from ticketing.access.tokens import token_hash
from ticketing.errors import InvalidInput, Unauthenticated
from ticketing.identities import normalise_email

log = logging.getLogger(__name__)


def principal_of(user: User) -> Principal:
    assert user.id is not None
    return Principal(
        user_id=user.id,
        name=user.name,
        role=user.role,
        organisation_id=user.organisation_id,
        contact_id=user.contact_id,
    )


class Authenticator:
    """``system_token`` is the generated ``api_token`` of secrets.json: an admin principal."""

    def __init__(self, db: Database, system_token: str, sessions: SessionCodec) -> None:
        self.db = db
        self._system_token = system_token.encode()
        self.sessions = sessions

    async def bearer(self, token: str) -> Principal:
        if hmac.compare_digest(token.encode(), self._system_token):
            return SYSTEM
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(ApiToken, User)
                    .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
                    .where(ApiToken.token_hash == token_hash(token))
                )
            ).first()
        if row is None or row[0].revoked_at is not None or not row[1].active:
            raise Unauthenticated("invalid API token")
        return principal_of(row[1])

    async def session(self, cookie: str) -> Principal | None:
        """The user of a valid session cookie; None when it is invalid, expired or ended."""
        claim = self.sessions.decode(cookie)
        if claim is None:
            return None
        async with self.db.session() as session:
            user = await session.get(User, claim.user_id)
        if user is None or not user.active or user.session_version != claim.session_version:
            return None
        return principal_of(user)

    async def login(self, email: str, password: str) -> tuple[Principal, str]:
        """The principal and its session cookie; Unauthenticated for any wrong detail."""
        try:
            address = normalise_email(email)
        except InvalidInput:
            address = ""
        user = None
        if address:
            async with self.db.session() as session:
                user = (await session.exec(select(User).where(User.email == address))).first()
        matched = await verify_password(user.password_hash if user else None, password)
        if user is None or not matched or not user.active:
            log.warning("failed login for %r", email[:320])
            raise Unauthenticated("wrong email or password")
        assert user.id is not None
        cookie = self.sessions.encode(SessionClaim(user.id, user.session_version))
        return principal_of(user), cookie
