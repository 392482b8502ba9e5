"""``switchboard admin``: an admin provisions people, teams, categories and tokens from
the command line; secrets are printed once and everything lands in the audit log."""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from switchboard.cli.main import app
from tests.ticketing.conftest import Desk

AdminCli = Callable[..., Awaitable[Result]]  # runs `switchboard admin ARGS...`


@pytest.fixture
def admin_cli(fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AdminCli:
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("SWITCHBOARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("SWITCHBOARD_CONFIG", raising=False)
    runner = CliRunner()

    async def run(*args: str) -> Result:
        return await asyncio.to_thread(runner.invoke, app, ["admin", *args])

    return run


async def test_an_admin_adds_a_user_whose_password_is_printed_once(
    desk: Desk, admin_cli: AdminCli
) -> None:
    added = await admin_cli("users", "add", "Olli@Example.org", "--role", "agent", "--name", "Olli")
    assert added.exit_code == 0, added.output
    password = re.search(r"password \(shown once\): (\S+)", added.output).group(1)  # type: ignore[union-attr]
    login = await desk.client().post(
        "/api/auth/login", json={"email": "olli@example.org", "password": password}
    )
    assert login.status_code == 200 and login.json()["role"] == "agent"

    listed = await admin_cli("users", "list")
    assert "olli@example.org\tagent\tactive\tOlli" in listed.output
    promoted = await admin_cli("users", "set-role", "olli@example.org", "supervisor")
    assert promoted.output.strip() == "olli@example.org is now supervisor"
    disabled = await admin_cli("users", "disable", "olli@example.org")
    assert disabled.exit_code == 0
    again = await desk.client().post(
        "/api/auth/login", json={"email": "olli@example.org", "password": password}
    )
    assert again.status_code == 401
    trail = (await desk.system.get("/api/audit", params={"entity": "user"})).json()["items"]
    assert {e["actor"] for e in trail} == {f"cli ({getpass.getuser()})"}


async def test_mistakes_end_with_a_message_and_exit_code_2(desk: Desk, admin_cli: AdminCli) -> None:
    unknown = await admin_cli("users", "disable", "nobody@example.org")
    assert unknown.exit_code == 2 and "no user with email nobody@example.org" in unknown.output
    partner = await admin_cli("users", "add", "p@example.org", "--role", "partner")
    assert partner.exit_code == 2 and "partner belongs to an organisation" in partner.output
    bad_role = await admin_cli("users", "add", "x@example.org", "--role", "root")
    assert bad_role.exit_code == 2


async def test_categories_import_from_yaml_and_csv(
    desk: Desk, admin_cli: AdminCli, tmp_path: Path
) -> None:
    tree = tmp_path / "categories.yaml"
    tree.write_text(
        "categories:\n"
        "  - code: water\n    name: Water supply\n    children:\n"
        "      - code: LEAK\n        name: Leak\n        children:\n"
        "          - {code: PIPE, name: Broken pipe}\n"
        "  - {code: ROADS, name: Roads}\n"
    )
    first = await admin_cli("categories", "import", str(tree))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "4 categories created, 0 renamed, 4 in categories.yaml"
    again = await admin_cli("categories", "import", str(tree))
    assert again.output.strip() == "0 categories created, 0 renamed, 4 in categories.yaml"
    more = tmp_path / "more.csv"
    more.write_text("path,name\nROADS,Streets and roads\nROADS/HOLE,Pothole\n")
    second = await admin_cli("categories", "import", str(more))
    assert second.output.strip() == "1 categories created, 1 renamed, 2 in more.csv"
    listed = await admin_cli("categories", "list")
    assert "WATER/LEAK/PIPE\tWater supply › Leak › Broken pipe" in listed.output
    shown = (await desk.system.get("/api/categories")).json()
    assert [c["path"] for c in shown] == [
        "ROADS",
        "ROADS/HOLE",
        "WATER",
        "WATER/LEAK",
        "WATER/LEAK/PIPE",
    ]
    orphan = tmp_path / "orphan.csv"
    orphan.write_text("path,name\nGAS/LEAK,Gas leak\n")
    refused = await admin_cli("categories", "import", str(orphan))
    assert refused.exit_code == 2 and "its parent GAS is not defined" in refused.output
    assert len((await desk.system.get("/api/categories")).json()) == 5


async def test_teams_and_tokens(desk: Desk, admin_cli: AdminCli) -> None:
    await admin_cli("users", "add", "crm@example.org", "--role", "agent")
    team = await admin_cli("teams", "add", "Front desk", "--member", "crm@example.org")
    assert team.output.strip().endswith("Front desk created with 1 members")
    assert "Front desk\t1 members" in (await admin_cli("teams", "list")).output
    made = await admin_cli("tokens", "add", "crm@example.org", "--name", "CRM sync")
    token = re.search(r"token \(shown once\): (\S+)", made.output).group(1)  # type: ignore[union-attr]
    integration = desk.client(token)
    assert (await integration.get("/api/auth/me")).json()["email"] == "crm@example.org"
    token_id = re.search(r"token (\d+) 'CRM sync'", made.output).group(1)  # type: ignore[union-attr]
    assert (await admin_cli("tokens", "revoke", token_id)).exit_code == 0
    assert (await integration.get("/api/auth/me")).status_code == 401
    assert "revoked" in (await admin_cli("tokens", "list")).output


async def test_rules_round_trip_through_yaml(
    desk: Desk, admin_cli: AdminCli, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n- name: urgent words\n  event: ticket.created\n"
        "  conditions: [{field: text, op: contains, value: [gas]}]\n"
        "  actions: [{action: set_priority, value: urgent}]\n"
    )
    imported = await admin_cli("rules", "import", str(rules))
    assert imported.output.strip() == "1 rules imported from rules.yaml"
    exported = await admin_cli("rules", "export")
    assert "name: urgent words" in exported.output
    ticket = await desk.ticket(subject="Smell of gas")
    assert ticket["priority"] == "urgent"


SLA_YAML = """\
calendars:
- name: office
  timezone: Europe/Helsinki
  hours: {mon: [[08:00, 16:00]], tue: [[08:00, 16:00]], wed: [[08:00, 16:00]],
          thu: [[08:00, 16:00]], fri: [[08:00, 16:00]]}
  holidays: {2026-12-24: Christmas Eve, 2026-12-25: Christmas Day}
policies:
- name: standard
  calendar: office
  first_response_minutes: 120
  resolution_minutes: 960
- name: contract
  calendar: office
  resolution_minutes: 240
  organisation: ORGANISATION
  escalate_team: Network
"""


async def test_service_levels_come_from_yaml_and_go_back_out(
    desk: Desk, admin_cli: AdminCli, tmp_path: Path
) -> None:
    utility = await desk.organisation("Helen Oy")
    assert (await admin_cli("teams", "add", "Network")).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SLA_YAML.replace("ORGANISATION", str(utility["id"])).replace(
            "calendar: office\n  r", "calendar: ofice\n  r"
        )
    )
    refused = await admin_cli("sla", "import", str(bad))
    assert refused.exit_code == 2
    assert "policy 2 (contract): no calendar is named 'ofice'" in refused.output
    typo = tmp_path / "typo.yaml"
    typo.write_text(SLA_YAML.replace("resolution_minutes: 960", "resolution_minutes: soon"))
    refused = await admin_cli("sla", "import", str(typo))
    assert refused.exit_code == 2
    assert "11:23: policies.0.resolution_minutes:" in refused.output
    assert (await desk.system.get("/api/calendars")).json() == []  # nothing was written

    good = tmp_path / "sla.yaml"
    good.write_text(SLA_YAML.replace("ORGANISATION", str(utility["id"])))
    imported = await admin_cli("sla", "import", str(good))
    assert imported.output.strip() == "1 calendars and 2 policies imported from sla.yaml"
    listed = (await admin_cli("sla", "list")).output.splitlines()
    assert [line.split("\t")[1:3] for line in listed] == [
        ["standard", "office"],
        ["contract", "office"],
    ]
    assert listed[1].endswith(f"organisation {utility['id']}")
    ticket = await desk.ticket(organisation_id=utility["id"])
    policies = {p["name"]: p for p in (await desk.system.get("/api/sla-policies")).json()}
    assert ticket["sla_policy_id"] == policies["contract"]["id"]
    hours = (await desk.system.get("/api/calendars")).json()[0]["hours"]
    assert hours["mon"] == [["08:00", "16:00"]]  # text, not YAML 1.1's base-60 numbers

    # the export imports again unchanged; a changed target replaces the policy by name
    exported = (await admin_cli("sla", "export")).output
    assert "escalate_team: Network" in exported and "'2026-12-24': Christmas Eve" in exported
    again = tmp_path / "again.yaml"
    again.write_text(exported.replace("resolution_minutes: 240", "resolution_minutes: 180"))
    assert (await admin_cli("sla", "import", str(again))).exit_code == 0
    policies = {p["name"]: p for p in (await desk.system.get("/api/sla-policies")).json()}
    assert policies["contract"]["resolution_minutes"] == 180
    assert len(policies) == 2


async def test_contacts_come_in_from_csv_all_or_nothing_and_tickets_go_out(
    desk: Desk, admin_cli: AdminCli, tmp_path: Path
) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "name,kind,organisation,phone,email,street,postcode,city\n"
        "Aino Virtanen,,Helen Oy,040 123 4567,AINO@example.fi,Mannerheimintie 1,00100,Helsinki\n"
        "Helen Oy,organisation,,,info@helen.example,,,\n"
        "Olli,person,,,olli@example.fi,,,\n"
    )
    clash = tmp_path / "clash.csv"
    clash.write_text(
        "name,phone\nPekka,+358401112222\nMatti,0401112222\n"  # one number, twice
    )
    refused = await admin_cli("contacts", "import", str(clash))
    assert refused.exit_code == 2
    assert "line 3: phone +358401112222 already belongs to contact" in refused.output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,telefax\nX,person,1\n")
    refused = await admin_cli("contacts", "import", str(bad))
    assert refused.exit_code == 2 and "found 'telefax'" in refused.output
    nobody = await desk.system.get(
        "/api/contacts/lookup", params={"kind": "phone", "value": "+358401112222"}
    )
    assert nobody.status_code == 404  # the refused file left nothing behind

    imported = await admin_cli("contacts", "import", str(crm))
    assert imported.output.strip() == "3 contacts imported from crm.csv", imported.output
    aino = (
        await desk.system.get(
            "/api/contacts/lookup", params={"kind": "phone", "value": "+358401234567"}
        )
    ).json()
    helen = (
        await desk.system.get(
            "/api/contacts/lookup", params={"kind": "email", "value": "info@helen.example"}
        )
    ).json()
    assert aino["display_name"] == "Aino Virtanen"
    assert aino["organisation_id"] == helen["id"]
    assert {i["value"] for i in aino["identities"]} == {"+358401234567", "aino@example.fi"}
    assert aino["addresses"][0]["street"] == "Mannerheimintie 1"

    await desk.ticket(subject="No power since morning", contact_id=aino["id"])
    await desk.ticket(subject="Invoice question")
    out = tmp_path / "power.csv"
    exported = await admin_cli("tickets", "export", str(out), "--text", "power")
    assert exported.exit_code == 0, exported.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "No power since morning" in lines[1]
    wrong = await admin_cli("tickets", "export", str(tmp_path / "tickets.pdf"))
    assert wrong.exit_code == 2 and "must end in .csv or .xlsx" in wrong.output


async def test_a_database_nobody_upgraded_is_named_with_what_to_run(
    admin_cli: AdminCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = await admin_cli("users", "list")
    assert result.exit_code == 2
    assert "has no schema yet: run `switchboard db upgrade` first" in result.output
