"""Partners see their organisation's tickets and customers their own, at the query level:
anything else does not exist for them (404, never 403), and asking is logged."""

from __future__ import annotations

from tests.ticketing.conftest import PNG_HEADER, Desk


async def test_a_partner_sees_only_their_organisations_tickets(desk: Desk) -> None:
    ours = await desk.organisation("Roads Ltd")
    theirs = await desk.organisation("Parks Ltd")
    partner, as_partner = await desk.user("partner", organisation_id=ours["id"])
    mine = await desk.ticket(subject="Pothole", organisation_id=ours["id"])
    other = await desk.ticket(subject="Broken swing", organisation_id=theirs["id"])
    unowned = await desk.ticket(subject="Noise")

    listed = (await as_partner.get("/api/tickets")).json()["items"]
    assert [t["number"] for t in listed] == [mine["number"]]
    assert (await as_partner.get(f"/api/tickets/{mine['number']}")).status_code == 200
    for number in (other["number"], unowned["number"]):
        hidden = await as_partner.get(f"/api/tickets/{number}")
        assert hidden.status_code == 404
        assert hidden.json() == {"detail": f"ticket {number} not found"}
    nonexistent = await as_partner.get("/api/tickets/1999-000001")
    assert nonexistent.json() == {"detail": "ticket 1999-000001 not found"}
    found = (await as_partner.get("/api/tickets", params={"q": "swing"})).json()["items"]
    assert found == []
    for attempt in (
        as_partner.post(
            f"/api/tickets/{other['number']}/entries", json={"kind": "note", "body": "x"}
        ),
        as_partner.patch(f"/api/tickets/{other['number']}", json={"version": 1, "subject": "x"}),
        as_partner.post(
            f"/api/tickets/{other['number']}/status", json={"status": "open", "version": 1}
        ),
    ):
        assert (await attempt).status_code == 404

    denied = (await desk.system.get("/api/audit", params={"action": "access.denied"})).json()
    assert {(e["actor_user_id"], e["entity_id"]) for e in denied["items"]} == {
        (partner["id"], other["number"]),
        (partner["id"], unowned["number"]),
    }
    untouched = (await desk.system.get(f"/api/tickets/{other['number']}")).json()
    assert untouched["version"] == 1 and untouched["entries"] == []


async def test_a_partner_cannot_move_a_ticket_out_of_their_organisation(desk: Desk) -> None:
    ours = await desk.organisation("Roads Ltd")
    theirs = await desk.organisation("Parks Ltd")
    _, as_partner = await desk.user("partner", organisation_id=ours["id"])
    mine = await desk.ticket(organisation_id=ours["id"])
    moved = await as_partner.patch(
        f"/api/tickets/{mine['number']}", json={"version": 1, "organisation_id": theirs["id"]}
    )
    assert moved.status_code == 403
    worked = await as_partner.post(
        f"/api/tickets/{mine['number']}/status", json={"status": "open", "version": 1}
    )
    assert worked.status_code == 200


async def test_customers_see_their_own_tickets_and_files_only(desk: Desk) -> None:
    _, as_aino = await desk.user("customer", email="aino@example.org")
    _, as_eero = await desk.user("customer", email="eero@example.org")
    hers = await desk.ticket(as_aino, subject="Aino's")
    his = await desk.ticket(as_eero, subject="Eero's")
    upload = await desk.system.post(
        f"/api/tickets/{his['number']}/attachments",
        files={"file": ("scan.png", PNG_HEADER + b"\x00" * 10, "image/png")},
    )
    assert [t["number"] for t in (await as_aino.get("/api/tickets")).json()["items"]] == [
        hers["number"]
    ]
    assert (await as_aino.get(f"/api/tickets/{his['number']}")).status_code == 404
    assert (await as_aino.get(f"/api/attachments/{upload.json()['id']}")).status_code == 404
    assert (await as_eero.get(f"/api/attachments/{upload.json()['id']}")).status_code == 200
    smuggled = await as_aino.post(
        "/api/tickets", json={"subject": "On behalf", "contact_id": his["contact"]["id"]}
    )
    assert smuggled.json()["contact"]["identities"] == [
        {"kind": "email", "value": "aino@example.org"}
    ]
