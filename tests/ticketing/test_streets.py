"""The street registry: an admin imports streets from CSV, people completing an address
get matching streets, and ticket addresses outside the registry are accepted but flagged."""

from __future__ import annotations

from pathlib import Path

from tests.ticketing.conftest import Desk
from tests.ticketing.test_cli_admin import AdminCli, admin_cli  # noqa: F401  (fixture)

STREETS = (
    "street,postcode,city\n"
    "Mannerheimintie,00100,Helsinki\n"
    "Mannerheimintie,00250,Helsinki\n"
    "Mäkelänkatu,00510,Helsinki\n"
    "Manner Street,33100,Tampere\n"
)


async def _names(desk: Desk, **params: object) -> list[tuple[str, str, str]]:
    response = await desk.system.get("/api/streets", params=params)
    assert response.status_code == 200, response.text
    return [(s["name"], s["postal_code"], s["city"]) for s in response.json()]


async def test_an_imported_registry_completes_by_prefix_ignoring_case_and_accents(
    desk: Desk,
    admin_cli: AdminCli,  # noqa: F811
    tmp_path: Path,
) -> None:
    registry = tmp_path / "streets.csv"
    registry.write_text(STREETS, encoding="utf-8")
    first = await admin_cli("streets", "import", str(registry))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "4 streets added, 0 already there, 4 in streets.csv"
    again = await admin_cli("streets", "import", str(registry))
    assert again.output.strip() == "0 streets added, 4 already there, 4 in streets.csv"

    assert await _names(desk, q="Mannerh") == [
        ("Mannerheimintie", "00100", "Helsinki"),
        ("Mannerheimintie", "00250", "Helsinki"),
    ]
    assert await _names(desk, q="MAKEL") == [("Mäkelänkatu", "00510", "Helsinki")]
    assert await _names(desk, q="mäkelä") == [("Mäkelänkatu", "00510", "Helsinki")]
    assert await _names(desk, q="manner", city="tampere") == [("Manner Street", "33100", "Tampere")]
    assert len(await _names(desk, q="man", limit=2)) == 2
    assert await _names(desk, q="100%_") == []
    assert await _names(desk, q="\U0010ffff") == []
    _, customer = await desk.user("customer")
    assert (await customer.get("/api/streets", params={"q": "Mäk"})).status_code == 200


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    desk: Desk,
    admin_cli: AdminCli,  # noqa: F811
    tmp_path: Path,
) -> None:
    registry = tmp_path / "bad.csv"
    registry.write_text(
        "Hämeentie,00530,Helsinki\n,00100,Helsinki\nKatu,00100\nTie,<script>,Espoo\n",
        encoding="utf-8",
    )
    result = await admin_cli("streets", "import", str(registry))
    assert result.exit_code == 2
    assert "3 bad rows, nothing imported" in result.output
    assert "line 2: the street name is empty" in result.output
    assert "line 3: expected 3 columns" in result.output
    assert "line 4: postcode '<script>'" in result.output
    assert await _names(desk, q="Häme") == []


async def test_ticket_addresses_outside_the_registry_are_accepted_and_flagged(
    desk: Desk,
    admin_cli: AdminCli,  # noqa: F811
    tmp_path: Path,
) -> None:
    before = await desk.ticket(addresses=[{"street": "Mannerheimintie 5", "city": "Helsinki"}])
    assert before["addresses"][0]["street_registered"] is None  # no registry yet

    registry = tmp_path / "streets.csv"
    registry.write_text(STREETS, encoding="utf-8")
    assert (await admin_cli("streets", "import", str(registry))).exit_code == 0
    ticket = await desk.ticket(
        addresses=[
            {"street": "mannerheimintie 5 A 3", "postal_code": "00100"},
            {"street": "Mannerheimintie 5", "postal_code": "00990"},
            {"street": "Unknown Alley 1", "city": "Helsinki"},
        ]
    )
    flags = [a["street_registered"] for a in ticket["addresses"]]
    assert flags == [True, False, False]
    added = await desk.system.post(
        f"/api/tickets/{ticket['number']}/addresses",
        json={"street": "Mäkelänkatu 12", "version": ticket["version"]},
    )
    assert added.status_code == 201, added.text
    assert added.json()["addresses"][-1]["street_registered"] is True
