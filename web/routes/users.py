"""Users and API tokens (administration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.convert import token_out, user_out
from web.deps import Cursor, PathId, QueryId, Services, TokenManager, UserManager, UserReader
from web.schemas import Page
from web.schemas_people import (
    PasswordIn,
    PasswordOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
    UserPatch,
)

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/users")
async def list_users(
    services: Services,
    _actor: UserReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> Page[UserOut]:
    users = await services.users.list(limit=limit, after_id=cursor)
    items = [user_out(u) for u in users]
    return Page(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("/users", status_code=201)
async def create_user(body: UserIn, services: Services, actor: UserManager) -> UserCreated:
    """Create a user; without a password one is generated and returned once."""
    user, generated = await services.users.create(
        actor,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
        organisation_id=body.organisation_id,
    )
    return UserCreated(**user_out(user).model_dump(), password=generated)


@router.get("/users/{user_id}")
async def get_user(user_id: PathId, services: Services, _actor: UserReader) -> UserOut:
    return user_out(await services.users.get(user_id))


@router.patch("/users/{user_id}")
async def update_user(
    user_id: PathId, body: UserPatch, services: Services, actor: UserManager
) -> UserOut:
    changes = body.model_dump(exclude_unset=True)
    user = await services.users.update(actor, user_id, **changes)
    return user_out(user)


@router.post("/users/{user_id}/password")
async def set_password(
    user_id: PathId, body: PasswordIn, services: Services, actor: UserManager
) -> PasswordOut:
    """Set a password (or generate one, returned once); ends the user's web sessions."""
    return PasswordOut(password=await services.users.set_password(actor, user_id, body.password))


@router.get("/tokens")
async def list_tokens(
    services: Services, _actor: TokenManager, user_id: QueryId = None
) -> list[TokenOut]:
    return [token_out(t) for t in await services.users.list_tokens(user_id)]


@router.post("/tokens", status_code=201)
async def create_token(body: TokenIn, services: Services, actor: TokenManager) -> TokenCreated:
    """A token acting as the user; the token itself is in this response only."""
    token, plain = await services.users.create_token(actor, body.user_id, body.name)
    return TokenCreated(**token_out(token).model_dump(), token=plain)


@router.delete("/tokens/{token_id}")
async def revoke_token(token_id: PathId, services: Services, actor: TokenManager) -> TokenOut:
    return token_out(await services.users.revoke_token(actor, token_id))
