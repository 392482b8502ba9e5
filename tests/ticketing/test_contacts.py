"""Contacts: one person, recognised on every channel, merged when found twice."""

from __future__ import annotations

from tests.ticketing.conftest import Desk


async def test_identities_are_stored_in_one_form_and_found_in_any(desk: Desk) -> None:
    made = await desk.system.post(
        "/api/contacts",
        json={
            "display_name": "Aino Virtanen",
            "identities": [
                {"kind": "phone", "value": "040 123 4567"},
                {"kind": "email", "value": " Aino.Virtanen@Example.FI "},
                {"kind": "telegram", "value": "@ainov"},
            ],
            "addresses": [
                {
                    "street": "Mannerheimintie 1",
                    "postal_code": "00100",
                    "city": "Helsinki",
                    "country": "fi",
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    contact = made.json()
    assert [(i["kind"], i["value"]) for i in contact["identities"]] == [
        ("phone", "+358401234567"),
        ("email", "aino.virtanen@example.fi"),
        ("telegram", "@ainov"),
    ]
    assert contact["addresses"][0]["country"] == "FI"
    for kind, value in [
        ("phone", "+358 40 1234567"),
        ("phone", "00358401234567"),
        ("email", "AINO.VIRTANEN@example.fi"),
        ("telegram", "@ainov"),
    ]:
        found = await desk.system.get("/api/contacts/lookup", params={"kind": kind, "value": value})
        assert found.status_code == 200, (kind, value, found.text)
        assert found.json()["id"] == contact["id"]
    missing = await desk.system.get(
        "/api/contacts/lookup", params={"kind": "email", "value": "nobody@example.fi"}
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no contact with email nobody@example.fi"


async def test_an_identity_belongs_to_one_contact_only(desk: Desk) -> None:
    first = await desk.system.post(
        "/api/contacts",
        json={"display_name": "Aino", "identities": [{"kind": "phone", "value": "+358401234567"}]},
    )
    second = await desk.system.post("/api/contacts", json={"display_name": "A. Virtanen"})
    clash = await desk.system.post(
        f"/api/contacts/{second.json()['id']}/identities",
        json={"kind": "phone", "value": "0401234567"},
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == (
        f"phone +358401234567 already belongs to contact {first.json()['id']} (Aino); "
        "merge the two contacts instead"
    )
    bad = await desk.system.post(
        f"/api/contacts/{second.json()['id']}/identities",
        json={"kind": "phone", "value": "call me maybe"},
    )
    assert bad.status_code == 422 and "is not a phone number" in bad.json()["detail"]
    unknown_kind = await desk.system.post(
        f"/api/contacts/{second.json()['id']}/identities", json={"kind": "fax", "value": "1"}
    )
    assert unknown_kind.status_code == 422 and unknown_kind.json()["detail"].startswith(
        "invalid request: body.kind"
    )


async def test_people_belong_to_organisations(desk: Desk) -> None:
    city = await desk.organisation("City of Espoo")
    person = await desk.system.post(
        "/api/contacts", json={"display_name": "Eero", "organisation_id": city["id"]}
    )
    assert person.json()["organisation_id"] == city["id"]
    nested = await desk.system.post(
        "/api/contacts",
        json={"display_name": "Dept", "kind": "organisation", "organisation_id": city["id"]},
    )
    assert nested.status_code == 422
    not_an_org = await desk.system.post(
        "/api/contacts", json={"display_name": "X", "organisation_id": person.json()["id"]}
    )
    assert not_an_org.status_code == 422
    listed = await desk.system.get("/api/contacts", params={"name": "espoo"})
    assert [c["display_name"] for c in listed.json()["items"]] == ["City of Espoo"]


async def test_merging_moves_tickets_and_identities_and_is_reviewable(desk: Desk) -> None:
    phone = await desk.system.post(
        "/api/contacts",
        json={
            "display_name": "Aino (phone)",
            "identities": [{"kind": "phone", "value": "0401234567"}],
        },
    )
    mail = await desk.system.post(
        "/api/contacts",
        json={
            "display_name": "Aino (email)",
            "identities": [{"kind": "email", "value": "aino@example.fi"}],
            "addresses": [{"street": "Kotikatu 2"}],
        },
    )
    kept, gone = phone.json()["id"], mail.json()["id"]
    by_phone = await desk.ticket(subject="Bin not emptied", contact_id=kept)
    by_mail = await desk.ticket(subject="Bin still not emptied", contact_id=gone)

    merged = await desk.system.post(f"/api/contacts/{kept}/merge", json={"source_id": gone})
    assert merged.status_code == 200, merged.text
    assert merged.json()["moved"]["identities"] == ["email:aino@example.fi"]
    assert merged.json()["moved"]["tickets"] == [by_mail["number"]]

    contact = (await desk.system.get(f"/api/contacts/{kept}")).json()
    assert {i["value"] for i in contact["identities"]} == {"+358401234567", "aino@example.fi"}
    assert [a["street"] for a in contact["addresses"]] == ["Kotikatu 2"]
    found = await desk.system.get(
        "/api/contacts/lookup", params={"kind": "email", "value": "aino@example.fi"}
    )
    assert found.json()["id"] == kept
    tickets = await desk.system.get("/api/tickets", params={"contact_id": kept})
    assert {t["number"] for t in tickets.json()["items"]} == {by_phone["number"], by_mail["number"]}
    moved_ticket = (await desk.system.get(f"/api/tickets/{by_mail['number']}")).json()
    assert moved_ticket["contact"]["id"] == kept and moved_ticket["version"] == 2

    old = (await desk.system.get(f"/api/contacts/{gone}")).json()
    assert old["merged_into_id"] == kept and old["identities"] == []
    review = (await desk.system.get(f"/api/contacts/{gone}/merges")).json()
    assert [(m["source_id"], m["target_id"], m["actor"]) for m in review] == [
        (gone, kept, "system")
    ]
    audit = await desk.system.get("/api/audit", params={"action": "contact.merge"})
    assert audit.json()["items"][0]["before"]["source"] == gone

    again = await desk.system.post(f"/api/contacts/{kept}/merge", json={"source_id": gone})
    assert again.status_code == 409
    assert again.json()["detail"] == f"contact {gone} was already merged into contact {kept}"
    itself = await desk.system.post(f"/api/contacts/{kept}/merge", json={"source_id": kept})
    assert itself.status_code == 422
    org = await desk.organisation("Acme")
    mixed = await desk.system.post(f"/api/contacts/{kept}/merge", json={"source_id": org["id"]})
    assert mixed.status_code == 422
    assert (
        mixed.json()["detail"]
        == "cannot merge contacts of different kinds (organisation into person)"
    )
