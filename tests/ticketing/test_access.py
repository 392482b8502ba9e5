"""Users sign in with argon2-checked passwords or API tokens; every change is audited."""

from __future__ import annotations

from sqlmodel import select

from tests.ticketing.conftest import PASSWORD, Desk
from ticketing.access.models import ApiToken, User
from ticketing.access.sessions import COOKIE_NAME


async def _audit_count(desk: Desk) -> int:
    page = await desk.system.get("/api/audit", params={"limit": 500})
    return len(page.json()["items"])


async def test_a_user_logs_in_with_a_password_and_gets_a_session(desk: Desk) -> None:
    agent, _ = await desk.user("agent", email="Aino.Agent@Example.org")
    browser = desk.client()
    login = await browser.post(
        "/api/auth/login", json={"email": "aino.agent@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    assert login.json()["id"] == agent["id"]
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    me = await browser.get("/api/auth/me")
    assert me.json()["email"] == "aino.agent@example.org" and me.json()["role"] == "agent"
    assert (await browser.get("/api/tickets")).status_code == 200

    await browser.post("/api/auth/logout")
    assert (await browser.get("/api/auth/me")).status_code == 401


async def test_wrong_credentials_are_refused_clearly_and_change_nothing(desk: Desk) -> None:
    await desk.user("agent", email="aino@example.org")
    before = await _audit_count(desk)
    browser = desk.client()
    for email, password in [
        ("aino@example.org", "not the password"),
        ("nobody@example.org", PASSWORD),
        ("not an email", PASSWORD),
    ]:
        refused = await browser.post("/api/auth/login", json={"email": email, "password": password})
        assert refused.status_code == 401
        assert refused.json() == {"detail": "wrong email or password"}
        assert "set-cookie" not in refused.headers
    wrong_token = await desk.client("sbt_made-up").get("/api/tickets")
    assert wrong_token.status_code == 401 and wrong_token.json()["detail"] == "invalid API token"
    forged = desk.client()
    forged.cookies.set(COOKIE_NAME, "eyJ1IjoxLCJ2IjoxfQ.forged.signature")
    assert (await forged.get("/api/tickets")).json()["detail"] == (
        "your session has ended: log in again"
    )
    assert await _audit_count(desk) == before


async def test_a_generated_password_is_shown_once_and_stored_as_argon2(desk: Desk) -> None:
    created = await desk.system.post(
        "/api/users", json={"email": "sami@example.org", "name": "Sami", "role": "supervisor"}
    )
    assert created.status_code == 201
    password = created.json()["password"]
    assert password and len(password) >= 16
    shown_later = await desk.system.get(f"/api/users/{created.json()['id']}")
    assert "password" not in shown_later.json()
    async with desk.db.session() as session:
        user = (await session.exec(select(User).where(User.email == "sami@example.org"))).one()
    assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
    login = await desk.client().post(
        "/api/auth/login", json={"email": "sami@example.org", "password": password}
    )
    assert login.status_code == 200


async def test_api_tokens_are_shown_once_stored_hashed_and_can_be_revoked(desk: Desk) -> None:
    agent, _ = await desk.user("agent")
    made = await desk.system.post("/api/tokens", json={"user_id": agent["id"], "name": "crm"})
    token = made.json()["token"]
    assert token.startswith("sbt_")
    listed = (await desk.system.get("/api/tokens", params={"user_id": agent["id"]})).json()
    assert all("token" not in t for t in listed) and {t["name"] for t in listed} >= {"crm"}
    async with desk.db.session() as session:
        hashes = (await session.exec(select(ApiToken.token_hash))).all()
    assert token not in hashes
    integration = desk.client(token)
    assert (await integration.get("/api/auth/me")).json()["id"] == agent["id"]

    revoked = await desk.system.delete(f"/api/tokens/{made.json()['id']}")
    assert revoked.json()["revoked_at"] is not None
    refused = await integration.get("/api/tickets")
    assert refused.status_code == 401 and refused.json()["detail"] == "invalid API token"


async def test_disabling_a_user_ends_their_sessions_and_tokens(desk: Desk) -> None:
    agent, with_token = await desk.user("agent", email="leaving@example.org")
    browser = desk.client()
    await browser.post(
        "/api/auth/login", json={"email": "leaving@example.org", "password": PASSWORD}
    )
    assert (await browser.get("/api/tickets")).status_code == 200
    disabled = await desk.system.patch(f"/api/users/{agent['id']}", json={"active": False})
    assert disabled.json()["active"] is False
    assert (await browser.get("/api/tickets")).status_code == 401
    assert (await with_token.get("/api/tickets")).status_code == 401
    again = await desk.client().post(
        "/api/auth/login", json={"email": "leaving@example.org", "password": PASSWORD}
    )
    assert again.status_code == 401


async def test_changes_are_audited_with_who_what_before_and_after(desk: Desk) -> None:
    admin, admin_client = await desk.user("admin")
    agent, _ = await desk.user("agent")
    promoted = await admin_client.patch(f"/api/users/{agent['id']}", json={"role": "supervisor"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "supervisor"
    await admin_client.post(f"/api/users/{agent['id']}/password", json={})

    trail = await desk.system.get(
        "/api/audit", params={"entity": "user", "entity_id": str(agent["id"])}
    )
    entries = trail.json()["items"]
    actions = [e["action"] for e in entries]
    assert actions == ["user.password", "user.update", "user.create"]
    update = entries[1]
    assert update["actor_user_id"] == admin["id"] and update["actor"] == admin["name"]
    assert update["before"]["role"] == "agent" and update["after"]["role"] == "supervisor"
    assert update["at"]
    assert all("password_hash" not in (e["before"] or {}) | (e["after"] or {}) for e in entries)
    created = entries[2]
    assert created["actor"] == "system" and created["actor_user_id"] is None


async def test_a_partner_needs_an_organisation_and_nobody_can_demote_themselves(
    desk: Desk,
) -> None:
    orphan = await desk.system.post(
        "/api/users", json={"email": "p@example.org", "role": "partner", "name": "P"}
    )
    assert orphan.status_code == 422
    assert "partner belongs to an organisation" in orphan.json()["detail"]
    admin, admin_client = await desk.user("admin")
    myself = await admin_client.patch(f"/api/users/{admin['id']}", json={"role": "agent"})
    assert myself.status_code == 409
    duplicate = await desk.system.post(
        "/api/users", json={"email": admin["email"].upper(), "role": "agent", "name": "Twin"}
    )
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]
