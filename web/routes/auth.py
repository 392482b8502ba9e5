"""Logging in to the web (a signed session cookie) and out; who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ticketing.access.sessions import COOKIE_NAME, MAX_AGE_SECONDS
from web.convert import user_out
from web.deps import CurrentPrincipal, Services
from web.schemas_people import LoginIn, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", responses={401: {"description": "Wrong email or password"}})
async def login(body: LoginIn, request: Request, response: Response, services: Services) -> UserOut:
    """Check the password and set the session cookie (HttpOnly, SameSite=Strict)."""
    principal, cookie = await services.auth.login(body.email, body.password)
    assert principal.user_id is not None
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return user_out(await services.users.get(principal.user_id))


@router.post("/logout", status_code=204)
async def logout(response: Response) -> Response:
    response.delete_cookie(COOKIE_NAME)
    response.status_code = 204
    return response


@router.get("/me")
async def me(principal: CurrentPrincipal, services: Services) -> UserOut | dict[str, str]:
    """The signed-in user; the built-in API token answers as the system principal."""
    if principal.user_id is None:
        return {"name": principal.name, "role": principal.role.value}
    return user_out(await services.users.get(principal.user_id))
