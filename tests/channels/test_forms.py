"""Web forms from YAML: accessible HTML, validation, a ticket with its number, double
submissions, the spam trap and the rate limit."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from channels.forms.definition import FormError, load_forms
from channels.service import build_channels
from channels.settings import ChannelSettings, FormSettings
from tests.ticketing.conftest import PNG_HEADER, Desk
from web.app import create_app

STREETLIGHT = """
title: Report a broken street light
intro: Tell us where the light is.
language: en
subject_field: location
fields:
  - {name: name, label: Your name, required: true}
  - {name: email, label: Email, type: email, required: true}
  - {name: location, label: Where is it, required: true, max_length: 100}
  - {name: kind, label: What is wrong, type: select, choices: [dark, flickering]}
  - {name: details, label: Details, type: textarea}
  - {name: photo, label: Photo, type: file}
"""


@pytest.fixture
async def forms(desk: Desk, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    folder = tmp_path / "forms"
    folder.mkdir()
    category = await desk.system.post(
        "/api/categories", json={"code": "LIGHT", "name": "Street lights"}
    )
    assert category.status_code == 201, category.text
    (folder / "streetlight.yaml").write_text(
        STREETLIGHT + f"category_id: {category.json()['id']}\n"
    )
    settings = ChannelSettings(forms=FormSettings(folder=folder, per_client=3))
    channels = build_channels(settings, desk.db, desk.bus, desk.services.attachments.store)
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk"
    ) as client:
        yield client


def nonce(page: str) -> str:
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page)
    assert found
    return found.group(1)


async def test_the_form_is_accessible_html(forms: httpx.AsyncClient) -> None:
    page = await forms.get("/forms/streetlight")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html and "<h1>Report a broken street light</h1>" in html
    assert '<label for="f-location">Where is it' in html
    assert 'id="f-email" name="email" type="email"' in html and 'aria-required="true"' in html
    assert 'class="trap" aria-hidden="true"' in html
    assert (await forms.get("/forms/nope")).status_code == 404


async def test_a_submission_becomes_a_ticket_and_is_confirmed_with_its_number(
    desk: Desk, forms: httpx.AsyncClient
) -> None:
    fields = {
        "submission": nonce((await forms.get("/forms/streetlight")).text),
        "name": "Sven",
        "email": "Sven@Example.se",
        "location": "Storgatan 3",
        "kind": "dark",
        "details": "Dark since Monday",
    }
    files = {"photo": ("lamp.png", PNG_HEADER + b"lamp", "image/png")}
    sent = await forms.post("/forms/streetlight", data=fields, files=files)
    assert sent.status_code == 200, sent.text
    number = re.search(r"<strong>(\d{4}-\d{6})</strong>", sent.text).group(1)  # type: ignore[union-attr]
    again = await forms.post("/forms/streetlight", data=fields, files=files)  # double click
    assert f"<strong>{number}</strong>" in again.text
    ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["subject"] == "Storgatan 3" and ticket["channel"] == "form"
    assert ticket["category"]["names"] == ["Street lights"]
    assert [a["filename"] for a in ticket["attachments"]] == ["lamp.png"]
    [entry] = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
    assert entry["kind"] == "form" and "What is wrong: dark" in entry["body"]
    assert len((await desk.system.get("/api/tickets")).json()["items"]) == 1


async def test_invalid_fields_are_shown_and_nothing_is_filed(
    desk: Desk, forms: httpx.AsyncClient
) -> None:
    fields = {
        "submission": nonce((await forms.get("/forms/streetlight")).text),
        "name": "<script>alert(1)</script>",
        "email": "not-an-email",
        "kind": "purple",
    }
    sent = await forms.post("/forms/streetlight", data=fields)
    assert sent.status_code == 422
    assert 'role="alert"' in sent.text and "Email: not an email address" in sent.text
    assert "Where is it: this is required" in sent.text and 'aria-invalid="true"' in sent.text
    assert "What is wrong: choose one of the options" in sent.text
    assert "<script>alert" not in sent.text and "&lt;script&gt;" in sent.text
    assert (await desk.system.get("/api/tickets")).json()["items"] == []


async def test_the_spam_trap_and_the_rate_limit(desk: Desk, forms: httpx.AsyncClient) -> None:
    base = {"name": "Bot", "email": "bot@example.com", "location": "x"}
    trapped = await forms.post(
        "/forms/streetlight", data={**base, "website": "http://spam", "submission": "0" * 32}
    )
    assert trapped.status_code == 200
    assert (await desk.system.get("/api/tickets")).json()["items"] == []
    codes = [
        (
            await forms.post("/forms/streetlight", data={**base, "submission": f"{n:032x}"})
        ).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_an_invalid_form_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("title: x\nfields:\n  - {name: a, label: A}\n")
    with pytest.raises(FormError, match=r"(?s)broken\.yaml.*required email"):
        load_forms(tmp_path)
