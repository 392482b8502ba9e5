"""Property-based requests generated from the published OpenAPI document (schemathesis),
sent as an admin to the in-process app on the real test database: no operation answers
with a server error, and every successful answer has the documented shape.

Path parameters are, half of the time, those of records that exist (a ticket, its
contact, team, category, an agent's user and token), so the generated bodies and queries
get past the lookups into validation and the domain. Generation is derandomized with a
fixed number of examples per operation, so a run is repeatable.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import response_schema_conformance

from pbx.acd.directory import AcdDirectory
from pbx.call_log import CallLog
from switchboard.db import Database
from switchboard.settings import TicketSettings
from tests.ticketing.conftest import PASSWORD, SYSTEM_TOKEN
from ticketing.calls import CallFiler
from ticketing.services import build_ticketing
from web.app import create_app
from web.context import WebContext

EXAMPLES_PER_OPERATION = 10
BASE = "http://desk"
# Live call state needs the controller, which this process does not run (503 by design).
NEEDS_CONTROLLER = {"/api/calls/active", "/api/flows"}


@dataclass
class Fuzzed:
    portal: BlockingPortal
    client: httpx.AsyncClient
    admin: dict[str, str]  # the admin's Authorization header
    existing: dict[str, Any]  # path parameter -> a value that exists
    protected: dict[str, set[Any]]  # path parameter -> the admin's own ids, never targeted

    def send(self, case: schemathesis.Case) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url=BASE, headers=self.admin)
        if isinstance(kwargs.get("data"), bytes | str):
            kwargs["content"] = kwargs.pop("data")
        if kwargs.get("cookies"):  # httpx takes cookies on the client only
            self.client.cookies = kwargs["cookies"]
        kwargs.pop("cookies", None)
        response: httpx.Response = self.portal.call(
            functools.partial(self.client.request, **kwargs)
        )
        return response


async def _seed(client: httpx.AsyncClient, db: Database) -> tuple[dict[str, str], dict[str, Any]]:
    system = {"Authorization": f"Bearer {SYSTEM_TOKEN}"}

    async def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        made = await client.post(path, json=body, headers=headers)
        assert made.status_code in (200, 201), made.text
        return made.json()

    agent = await post(
        "/api/users",
        {"email": "agent@example.org", "name": "Agent", "role": "agent", "password": PASSWORD},
        system,
    )
    agent_token = await post("/api/tokens", {"user_id": agent["id"], "name": "agent"}, system)
    admin = await post(
        "/api/users",
        {"email": f"admin-{uuid.uuid4().hex[:6]}@example.org", "name": "Admin", "role": "admin"}
        | {"password": PASSWORD},
        system,
    )
    token = await post("/api/tokens", {"user_id": admin["id"], "name": "fuzz"}, system)
    auth = {"Authorization": f"Bearer {token['token']}"}
    await AcdDirectory(db).add_queue("billing")
    team = await post("/api/teams", {"name": "Water"}, auth)
    category = await post("/api/categories", {"code": "WATER", "name": "Water"}, auth)
    fields = [{"name": "meter_reading", "type": "number"}, {"name": "noticed_on", "type": "date"}]
    put = await client.put(f"/api/categories/{category['id']}/fields", json=fields, headers=auth)
    assert put.status_code == 200, put.text
    contact = await post("/api/contacts", {"display_name": "Maija Meikäläinen"}, auth)
    ticket = await post(
        "/api/tickets",
        {
            "subject": "Leak",
            "contact_id": contact["id"],
            "team_id": team["id"],
            "category_id": category["id"],
            "queue": "billing",
        },
        auth,
    )
    await post(f"/api/tickets/{ticket['number']}/entries", {"kind": "note", "body": "x"}, auth)
    existing = {
        "number": ticket["number"],
        "contact_id": contact["id"],
        "team_id": team["id"],
        "category_id": category["id"],
        "user_id": agent["id"],
        "token_id": agent_token["id"],
    }
    protected = {"user_id": {admin["id"]}, "token_id": {token["id"]}}
    return auth, existing | {"_protected": protected}


@pytest.fixture
def fuzzed(fresh_database: str, tmp_path: Path) -> Iterator[Fuzzed]:
    with start_blocking_portal() as portal:
        db = Database(fresh_database)
        limits = TicketSettings(attachment_max_bytes=64 * 1024)
        services = build_ticketing(
            db,
            api_token=SYSTEM_TOKEN,
            session_key="session-key-for-tests",
            default_region="FI",
            attachments_dir=tmp_path / "attachments",
            attachment_max_bytes=limits.attachment_max_bytes,
            attachment_types=limits.attachment_types,
        )
        context = WebContext(
            db=db,
            api_token=SYSTEM_TOKEN,
            calls=CallLog(db, node="test", on_ended=CallFiler("FI")),
            tickets=services.queries,
            ticketing=services,
        )
        app = create_app(context)
        # An unhandled exception becomes the 500 a server would send, and is recorded.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url=BASE)
        try:
            admin, existing = portal.call(_seed, client, db)
            protected = existing.pop("_protected")
            yield Fuzzed(portal, client, admin, existing, protected)
        finally:
            portal.call(client.aclose)
            portal.call(db.close)


def _document(fuzzed: Fuzzed) -> dict[str, Any]:
    response = fuzzed.portal.call(fuzzed.client.get, "/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _aimed(fuzzed: Fuzzed, case: schemathesis.Case, at_existing: bool) -> schemathesis.Case:
    """The case with its path parameters pointing at existing records (or, when generated
    at random, never at the admin's own user or token)."""
    for name, value in list((case.path_parameters or {}).items()):
        aimed = at_existing and name in fuzzed.existing
        if aimed or value in fuzzed.protected.get(name, ()):
            case.path_parameters[name] = fuzzed.existing[name]
    return case


def test_no_generated_request_causes_a_server_error(fuzzed: Fuzzed) -> None:
    schema = schemathesis.openapi.from_dict(_document(fuzzed))
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), at_existing=st.booleans())
        def run(case: schemathesis.Case, at_existing: bool) -> None:
            case = _aimed(fuzzed, case, at_existing)
            response = fuzzed.send(case)
            label = f"{case.method} {case.formatted_path} {case.query or ''}"
            if response.status_code >= 500 and not (
                response.status_code == 503 and case.path in NEEDS_CONTROLLER
            ):
                failures.append(f"{label}: {response.status_code} {response.text[:300]}")
            elif 200 <= response.status_code < 300:
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except AssertionError as exc:  # schemathesis reports every failed check
                    failures.append(f"{label}: not the documented shape: {str(exc)[:300]}")

        run()
    assert operations > 50
    assert failures == []
