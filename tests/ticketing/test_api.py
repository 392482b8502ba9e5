"""The REST API as a whole: every endpoint against every role (RBAC matrix), the
published OpenAPI document, and hostile input that must never cause a server error."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.ticketing.conftest import Desk
from web.app import ROUTERS

ADMIN, SUPERVISOR, AGENT, PARTNER, CUSTOMER = (
    "admin",
    "supervisor",
    "agent",
    "partner",
    "customer",
)
ROLES = (ADMIN, SUPERVISOR, AGENT, PARTNER, CUSTOMER)
ALL = frozenset(ROLES)
STAFF = frozenset({ADMIN, SUPERVISOR, AGENT})
LEADS = frozenset({ADMIN, SUPERVISOR})
ONLY_ADMIN = frozenset({ADMIN})
PUBLIC = None  # no credentials needed

# Who may call what. A new endpoint fails the test until it is added here.
MATRIX: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): PUBLIC,
    ("GET", "/api/auth/me"): ALL,
    ("GET", "/api/calls"): STAFF,
    ("GET", "/api/calls/active"): STAFF,
    ("GET", "/api/calls/{call_id}"): STAFF,
    ("GET", "/api/calls/{call_id}/survey"): STAFF,
    ("GET", "/api/flows"): STAFF,
    ("POST", "/api/channels/sms/twilio"): PUBLIC,
    ("POST", "/api/channels/sms/twilio/status"): PUBLIC,
    ("POST", "/api/channels/sms/generic"): PUBLIC,
    ("POST", "/api/channels/sms/generic/status"): PUBLIC,
    ("GET", "/api/tickets/{number}/channel-messages"): STAFF | {PARTNER},
    ("GET", "/widget/chat.js"): PUBLIC,
    ("GET", "/softphone"): PUBLIC,
    ("GET", "/softphone/assets/{name}"): PUBLIC,
    ("GET", "/api/channels/chat/files/{token}"): PUBLIC,
    ("POST", "/api/channels/chat/tickets/{number}/files"): STAFF,
    ("POST", "/api/channels/{channel}/tickets/{number}/files"): STAFF,
    ("GET", "/api/channels/media/{attachment_id}/{expires}/{signature}/{filename}"): PUBLIC,
    ("GET", "/api/channels/chat/presence"): STAFF,
    ("PUT", "/api/channels/chat/presence"): STAFF,
    ("GET", "/forms/{slug}"): PUBLIC,
    ("POST", "/forms/{slug}"): PUBLIC,
    ("GET", "/api/channels/whatsapp"): PUBLIC,
    ("POST", "/api/channels/whatsapp"): PUBLIC,
    ("POST", "/api/channels/telegram"): PUBLIC,
    ("POST", "/api/channels/viber"): PUBLIC,
    ("GET", "/api/channels/messenger"): PUBLIC,
    ("POST", "/api/channels/messenger"): PUBLIC,
    ("GET", "/api/channels/unsubscribe/{token}"): PUBLIC,
    ("POST", "/api/channels/unsubscribe/{token}"): PUBLIC,
    ("GET", "/api/knowledge/articles"): PUBLIC,
    ("POST", "/api/knowledge/articles"): LEADS,
    ("GET", "/api/knowledge/articles/{article_id}"): PUBLIC,
    ("PATCH", "/api/knowledge/articles/{article_id}"): LEADS,
    ("DELETE", "/api/knowledge/articles/{article_id}"): LEADS,
    ("GET", "/api/knowledge/faqs"): PUBLIC,
    ("POST", "/api/knowledge/faqs"): LEADS,
    ("GET", "/api/knowledge/faqs/{faq_id}"): PUBLIC,
    ("PATCH", "/api/knowledge/faqs/{faq_id}"): LEADS,
    ("DELETE", "/api/knowledge/faqs/{faq_id}"): LEADS,
    ("GET", "/kb/articles/{article_id}"): PUBLIC,
    ("GET", "/api/callbacks"): STAFF,
    ("GET", "/api/agents"): STAFF,
    ("GET", "/api/agents/{extension}"): STAFF,
    ("PUT", "/api/agents/{extension}/user"): ONLY_ADMIN,
    ("POST", "/api/agents/{extension}/ready"): STAFF,
    ("POST", "/api/agents/{extension}/not-ready"): STAFF,
    ("POST", "/api/agents/{extension}/logout"): STAFF,
    ("POST", "/api/agents/{extension}/call/hold"): STAFF,
    ("POST", "/api/agents/{extension}/call/resume"): STAFF,
    ("POST", "/api/agents/{extension}/call/mute"): STAFF,
    ("POST", "/api/agents/{extension}/call/unmute"): STAFF,
    ("POST", "/api/agents/{extension}/call/hangup"): STAFF,
    ("POST", "/api/agents/{extension}/call/transfer-to-queue"): STAFF,
    ("POST", "/api/agents/{extension}/call/transfer-to-agent"): STAFF,
    ("POST", "/api/agents/{extension}/call/dial"): STAFF,
    ("POST", "/api/agents/{extension}/call/transfer"): STAFF,
    ("POST", "/api/agents/{extension}/call/transfer/complete"): STAFF,
    ("POST", "/api/agents/{extension}/call/transfer/cancel"): STAFF,
    ("POST", "/api/agents/{extension}/call/conference"): STAFF,
    ("POST", "/api/agents/{extension}/call/listen"): LEADS,
    ("POST", "/api/agents/{extension}/call/whisper"): LEADS,
    ("POST", "/api/agents/{extension}/call/barge"): LEADS,
    ("GET", "/api/tickets"): ALL,
    ("POST", "/api/tickets"): STAFF | {CUSTOMER},
    ("GET", "/api/tickets/export.csv"): LEADS,
    ("GET", "/api/tickets/export.xlsx"): LEADS,
    ("GET", "/api/tickets/{number}"): ALL,
    ("PATCH", "/api/tickets/{number}"): STAFF | {PARTNER},
    ("POST", "/api/tickets/{number}/status"): STAFF | {PARTNER},
    ("POST", "/api/tickets/{number}/reopen"): STAFF | {CUSTOMER},
    ("POST", "/api/tickets/{number}/merge"): LEADS,
    ("POST", "/api/tickets/{number}/addresses"): STAFF | {PARTNER},
    ("GET", "/api/tickets/{number}/entries"): ALL,
    ("POST", "/api/tickets/{number}/entries"): ALL,
    ("POST", "/api/tickets/{number}/attachments"): STAFF | {PARTNER},
    ("GET", "/api/attachments/{attachment_id}"): ALL,
    ("GET", "/api/contacts"): STAFF,
    ("POST", "/api/contacts"): STAFF,
    ("GET", "/api/contacts/lookup"): STAFF,
    ("GET", "/api/contacts/{contact_id}"): STAFF,
    ("PATCH", "/api/contacts/{contact_id}"): STAFF,
    ("POST", "/api/contacts/{contact_id}/identities"): STAFF,
    ("DELETE", "/api/contacts/{contact_id}/identities/{identity_id}"): STAFF,
    ("POST", "/api/contacts/{contact_id}/addresses"): STAFF,
    ("POST", "/api/contacts/{contact_id}/merge"): LEADS,
    ("GET", "/api/contacts/{contact_id}/merges"): STAFF,
    ("GET", "/api/users"): STAFF,
    ("POST", "/api/users"): ONLY_ADMIN,
    ("GET", "/api/users/{user_id}"): STAFF,
    ("PATCH", "/api/users/{user_id}"): ONLY_ADMIN,
    ("POST", "/api/users/{user_id}/password"): ONLY_ADMIN,
    ("GET", "/api/tokens"): ONLY_ADMIN,
    ("POST", "/api/tokens"): ONLY_ADMIN,
    ("DELETE", "/api/tokens/{token_id}"): ONLY_ADMIN,
    ("GET", "/api/teams"): STAFF,
    ("POST", "/api/teams"): LEADS,
    ("GET", "/api/teams/{team_id}"): STAFF,
    ("PATCH", "/api/teams/{team_id}"): LEADS,
    ("GET", "/api/categories"): ALL,
    ("POST", "/api/categories"): LEADS,
    ("GET", "/api/categories/{category_id}"): ALL,
    ("PATCH", "/api/categories/{category_id}"): LEADS,
    ("GET", "/api/categories/{category_id}/fields"): ALL,
    ("PUT", "/api/categories/{category_id}/fields"): LEADS,
    ("GET", "/api/streets"): ALL,
    ("GET", "/api/audit"): LEADS,
    ("GET", "/api/calendars"): STAFF | {PARTNER},
    ("POST", "/api/calendars"): LEADS,
    ("PATCH", "/api/calendars/{calendar_id}"): LEADS,
    ("GET", "/api/sla-policies"): STAFF | {PARTNER},
    ("POST", "/api/sla-policies"): LEADS,
    ("PUT", "/api/sla-policies/{policy_id}"): LEADS,
    ("GET", "/api/tickets/{number}/extensions"): STAFF | {PARTNER},
    ("POST", "/api/tickets/{number}/extensions"): STAFF | {PARTNER},
    ("POST", "/api/extensions/{extension_id}/approve"): LEADS,
    ("POST", "/api/extensions/{extension_id}/reject"): LEADS,
    ("GET", "/api/rules"): LEADS,
    ("POST", "/api/rules"): LEADS,
    ("PUT", "/api/rules/{rule_id}"): LEADS,
    ("DELETE", "/api/rules/{rule_id}"): LEADS,
    ("GET", "/api/rules/export.yaml"): LEADS,
    ("POST", "/api/rules/import.yaml"): LEADS,
    ("GET", "/api/webhooks"): LEADS,
    ("POST", "/api/webhooks"): LEADS,
    ("PATCH", "/api/webhooks/{webhook_id}"): LEADS,
    ("GET", "/api/webhooks/{webhook_id}/deliveries"): LEADS,
}


def _endpoints() -> list[tuple[str, str]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            found.extend((method, route.path) for method in sorted(route.methods))
    return found


def _concrete(path: str) -> str:
    """A path with placeholders filled: ids and numbers that do not exist."""
    return re.sub(r"\{number\}", "2026-999999", re.sub(r"\{\w+_id\}", "999999", path))


def _server_error(response: httpx.Response, path: str) -> bool:
    """A 5xx other than the live call state's 503 (no controller in this process)."""
    if path in ("/api/calls/active", "/api/flows") and response.status_code == 503:
        return False
    return response.status_code >= 500


async def _call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = {}
    if path.endswith("/lookup"):
        kwargs["params"] = {"kind": "email", "value": "nobody@example.org"}
    return await client.request(method, _concrete(path), **kwargs)


def test_every_endpoint_is_in_the_rbac_matrix() -> None:
    served = set(_endpoints())
    assert served == set(MATRIX), (
        f"not in MATRIX: {sorted(served - set(MATRIX))}; gone: {sorted(set(MATRIX) - served)}"
    )


async def test_every_role_gets_exactly_what_the_matrix_allows(desk: Desk) -> None:
    organisation = await desk.organisation("Partner Oy")
    clients = {}
    for role in ROLES:
        extra = {"organisation_id": organisation["id"]} if role == PARTNER else {}
        _, clients[role] = await desk.user(role, **extra)
    anonymous = desk.client()
    failures = []
    for (method, path), allowed in MATRIX.items():
        if (method, path) == ("POST", "/api/auth/logout"):
            continue  # logging out would end nothing here, and it needs no credentials
        response = await _call(anonymous, method, path)
        if allowed is not PUBLIC and response.status_code != 401:
            failures.append(f"anonymous {method} {path}: {response.status_code}")
        for role, client in clients.items():
            response = await _call(client, method, path)
            permitted = allowed is PUBLIC or role in allowed
            refused = response.status_code in (401, 403)
            if permitted == refused or _server_error(response, path):
                failures.append(f"{role} {method} {path}: {response.status_code} {response.text}")
    assert failures == []


async def test_the_openapi_document_is_published(desk: Desk) -> None:
    document = (await desk.client().get("/openapi.json")).json()
    assert document["info"]["title"] == "Switchboard"
    published = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert published == set(MATRIX)
    ticket_in = document["components"]["schemas"]["TicketIn"]
    assert "subject" in ticket_in["required"]


HOSTILE_SEGMENTS = ["0", "-1", "99999999999999999999", "abc", "%00", "x" * 300, "1.5"]
HOSTILE_BODIES: list[Any] = [
    {},
    [],
    "text",
    None,
    {"version": "x", "subject": None, "kind": "zzz", "status": "weird"},
    {"version": 2**63, "contact_id": 2**63, "user_id": -1, "source_id": 2**40},
    {"subject": "x" * 100_001, "email": "a" * 10_000, "role": "root"},
    {"assignee_ids": [2**40], "tags": ["../../etc"], "clear": ["id"]},
]
HOSTILE_QUERIES: list[dict[str, Any]] = [
    {"cursor": "not-a-cursor", "limit": 0},
    {"cursor": "W1siYSJdLCAiYiJd", "sort": "-updated"},
    {"team_id": 2**40, "created_from": "yesterday", "status": "gone"},
    {"q": "\" OR 1=1; -- ' NEAR( * ^", "sort": "-priority", "cursor": "e30"},
]


@pytest.mark.parametrize("case", range(len(HOSTILE_BODIES)))
async def test_hostile_input_never_causes_a_server_error(desk: Desk, case: int) -> None:
    failures = []
    body = HOSTILE_BODIES[case]
    for method, path in MATRIX:
        if path == "/api/auth/logout":
            continue
        for segment in HOSTILE_SEGMENTS if "{" in path else [""]:
            concrete = re.sub(r"\{\w+\}", segment, path) if segment else path
            kwargs: dict[str, Any] = {"params": HOSTILE_QUERIES[case % len(HOSTILE_QUERIES)]}
            if method in ("POST", "PATCH", "PUT"):
                kwargs["json"] = body
            response = await desk.system.request(method, concrete, **kwargs)
            if _server_error(response, path):
                failures.append(
                    f"{method} {concrete}: {response.status_code} {response.text[:200]}"
                )
    assert failures == []


async def test_validation_errors_say_which_field_and_why(desk: Desk) -> None:
    response = await desk.system.post("/api/tickets", json={"priority": "whenever", "extra": 1})
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.subject", "body.priority", "body.extra"}
    assert body["detail"].startswith("invalid request: ")
    assert "body.subject: Field required" in body["detail"]
