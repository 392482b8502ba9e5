"""The knowledge base over the REST API on a migrated database: who may write and read
what, full-text search in each language, sanitised HTML, the version check, and bad input
that changes nothing."""

from __future__ import annotations

from typing import Any

from tests.ticketing.conftest import Desk

BILL = {
    "title": "Paying your water bill",
    "body": "# Paying\n\nPay the **invoice** by bank transfer or e-invoice. "
    "Late payments are reminded after 14 days.",
    "language": "en",
    "tags": ["Billing", "invoice"],
}


async def article(desk: Desk, **fields: Any) -> dict[str, Any]:
    made = await desk.system.post("/api/knowledge/articles", json={**BILL, **fields})
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def test_anyone_reads_public_articles_and_only_staff_internal_ones(desk: Desk) -> None:
    public = await article(desk)
    internal = await article(
        desk, title="Billing system runbook", visibility="internal", body="Restart the job."
    )
    anonymous = desk.client()
    _, customer = await desk.user("customer")
    organisation = await desk.organisation("Partner Oy")
    _, partner = await desk.user("partner", organisation_id=organisation["id"])
    _, agent = await desk.user("agent")

    for outsider in (anonymous, customer, partner):
        listed = (await outsider.get("/api/knowledge/articles")).json()
        assert [a["id"] for a in listed] == [public["id"]]
        assert (await outsider.get(f"/api/knowledge/articles/{internal['id']}")).status_code == 404
        assert (await outsider.get(f"/api/knowledge/articles/{public['id']}")).json()["title"] == (
            "Paying your water bill"
        )
    listed = (await agent.get("/api/knowledge/articles")).json()
    assert [a["id"] for a in listed] == [public["id"], internal["id"]]
    assert (await agent.get(f"/api/knowledge/articles/{internal['id']}")).status_code == 200
    # An agent reads but does not write.
    refused = await agent.post("/api/knowledge/articles", json=BILL)
    assert refused.status_code == 403
    # Bad credentials are not taken for anonymous.
    assert (await desk.client("wrong").get("/api/knowledge/articles")).status_code == 401


async def test_search_matches_every_word_as_a_prefix_in_the_chosen_language(desk: Desk) -> None:
    bill = await article(desk)
    finnish = await article(
        desk,
        title="Vesilaskun maksaminen",
        body="Maksa lasku pankkisiirrolla tai e-laskuna.",
        language="fi",
        tags=[],
    )
    await article(desk, title="Reporting a leak", body="Call us at once.", tags=["leak"])
    found = await desk.client().get("/api/knowledge/articles", params={"q": "pay INVOIC"})
    assert [a["id"] for a in found.json()] == [bill["id"]]
    found = await desk.client().get(
        "/api/knowledge/articles", params={"q": "lasku", "language": "fi"}
    )
    assert [a["id"] for a in found.json()] == [finnish["id"]]
    found = await desk.client().get(
        "/api/knowledge/articles", params={"q": "lasku", "language": "en"}
    )
    assert found.json() == []
    hostile = await desk.client().get("/api/knowledge/articles", params={"q": '" OR 1=1 NEAR( *'})
    assert hostile.status_code == 200 and hostile.json() == []
    tagged = await desk.client().get("/api/knowledge/articles", params={"tag": "billing"})
    assert [a["id"] for a in tagged.json()] == [bill["id"]]
    assert (await desk.client().get(f"/api/knowledge/articles/{bill['id']}")).json()["tags"] == [
        "billing",
        "invoice",
    ]


async def test_html_bodies_are_sanitised_and_edits_check_the_version(desk: Desk) -> None:
    made = await article(
        desk,
        body_format="html",
        body='<p onclick="steal()">Pay <b>online</b></p><script>alert(1)</script>'
        '<a href="javascript:x()">x</a>',
    )
    assert "<script" not in made["body"] and "onclick" not in made["body"]
    assert "javascript" not in made["body"] and "<b>online</b>" in made["body"]
    # The plain text is searchable; the markup is not.
    found = await desk.client().get("/api/knowledge/articles", params={"q": "online"})
    assert [a["id"] for a in found.json()] == [made["id"]]
    assert (
        await desk.client().get("/api/knowledge/articles", params={"q": "onclick"})
    ).json() == []

    changed = await desk.system.patch(
        f"/api/knowledge/articles/{made['id']}",
        json={"version": 1, "title": "Paying online", "category_id": None},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await desk.system.patch(
        f"/api/knowledge/articles/{made['id']}", json={"version": 1, "title": "Lost update"}
    )
    assert stale.status_code == 409
    current = (await desk.system.get(f"/api/knowledge/articles/{made['id']}")).json()
    assert current["title"] == "Paying online"
    audit = (await desk.system.get("/api/audit", params={"entity": "kb_article"})).json()
    assert {"kb.article.create", "kb.article.update"} <= {e["action"] for e in audit["items"]}


async def test_bad_input_is_refused_and_changes_nothing(desk: Desk) -> None:
    cases = [
        ({**BILL, "language": "de"}, "language"),
        ({**BILL, "category_id": 999}, "category 999 does not exist"),
        ({**BILL, "title": "   "}, "needs a title"),
        ({**BILL, "visibility": "secret"}, "visibility"),
    ]
    for body, reason in cases:
        response = await desk.system.post("/api/knowledge/articles", json=body)
        assert response.status_code == 422, body
        assert reason in response.text
    assert (await desk.system.get("/api/knowledge/articles")).json() == []
    missing = await desk.system.patch("/api/knowledge/articles/5", json={"version": 1})
    assert missing.status_code == 404


async def test_faq_entries_and_deleting_an_article_they_point_to(desk: Desk) -> None:
    bill = await article(desk)
    made = await desk.system.post(
        "/api/knowledge/faqs",
        json={
            "questions": [
                "How do I pay my bill?",
                "Can I pay by e-invoice?",
                "How do I pay my bill?",
            ],
            "answer": "By bank transfer or e-invoice.",
            "language": "en",
            "article_id": bill["id"],
        },
    )
    assert made.status_code == 201, made.text
    faq = made.json()
    assert faq["questions"] == ["How do I pay my bill?", "Can I pay by e-invoice?"]
    internal = await desk.system.post(
        "/api/knowledge/faqs",
        json={"questions": ["Who restarts billing?"], "answer": "Ops.", "language": "en",
              "visibility": "internal"},
    )  # fmt: skip
    assert internal.status_code == 201
    found = await desk.client().get("/api/knowledge/faqs", params={"q": "invoice"})
    assert [f["id"] for f in found.json()] == [faq["id"]]
    assert (
        await desk.client().get(f"/api/knowledge/faqs/{internal.json()['id']}")
    ).status_code == 404
    assert (await desk.system.delete(f"/api/knowledge/articles/{bill['id']}")).status_code == 204
    assert (await desk.client().get(f"/api/knowledge/faqs/{faq['id']}")).json()[
        "article_id"
    ] is None
    assert (await desk.system.delete(f"/api/knowledge/faqs/{faq['id']}")).status_code == 204
    assert (await desk.client().get(f"/api/knowledge/faqs/{faq['id']}")).status_code == 404
