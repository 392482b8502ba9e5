"""The widget with the chatbot in a real headless Chromium, embedded in a Finnish page of
another origin: translated texts, an article answer with its link, a file refused in the
browser (too large) and one refused by the server (not what its name says), a photo
kept, and leaving a message when no agent is available, which gives a request number."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from tests.channels.browser import Page, browser_page
from tests.channels.providers import serving
from tests.channels.test_chatbot import chatbot_app
from tests.ticketing.conftest import PNG_HEADER, Desk


async def choose_file(page: Page, path: Path) -> None:
    found = await page.send(
        "Runtime.evaluate", expression="document.querySelector('.sb-compose [name=file]')"
    )
    await page.send("DOM.enable")
    await page.send(
        "DOM.setFileInputFiles", files=[str(path)], objectId=found["result"]["objectId"]
    )


async def say(page: Page, text: str) -> None:
    await page.js(
        f"document.querySelector('.sb-compose textarea').value = {text!r};"
        "document.querySelector('.sb-compose button').click(); true"
    )


async def test_the_widget_talks_to_the_bot_and_leaves_a_message_in_finnish(
    desk: Desk, tmp_path: Path
) -> None:
    made = await desk.system.post(
        "/api/knowledge/articles",
        json={
            "title": "Vesilaskun maksaminen",
            "body": "Maksa lasku pankkisiirrolla tai e-laskuna.",
            "language": "fi",
        },
    )
    article_id = made.json()["id"]
    _, app = chatbot_app(desk)
    store = desk.services.attachments.store
    big = tmp_path / "iso.png"
    big.write_bytes(PNG_HEADER + b"\x00" * store.max_bytes)
    fake = tmp_path / "kuva.png"
    fake.write_bytes(b"this is no picture")
    photo = tmp_path / "mittari.png"
    photo.write_bytes(PNG_HEADER + b"\x01" * 300)

    site = FastAPI()  # the customer's own site, in Finnish, embedding the widget

    async with serving(app) as desk_port:
        desk_origin = f"http://127.0.0.1:{desk_port}"

        @site.get("/")
        async def home() -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><html lang='fi'><body><h1>Vesilaitos</h1>"
                f"<script src='{desk_origin}/widget/chat.js' defer></script></body></html>"
            )

        async with serving(site) as port, browser_page(f"http://127.0.0.1:{port}/") as page:
            await page.until("document.querySelector('.sb-prechat button') !== null")
            assert await page.js("document.querySelector('.sb-prechat button').textContent") == (
                "Aloita keskustelu"
            )
            await page.js(
                "document.querySelector('.sb-prechat [name=name]').value = 'Aino';"
                "document.querySelector('.sb-prechat [name=email]').value = 'aino@example.fi';"
                "document.querySelector('.sb-prechat button').click(); true"
            )
            await page.until("document.querySelectorAll('.sb-log .sb-bot').length === 1")
            greeting = await page.js("document.querySelector('.sb-log .sb-bot').textContent")
            assert greeting.startswith("Hei Aino! Olen avustaja.")

            await say(page, "Miten maksan vesilaskun?")
            await page.until("document.querySelector('.sb-article a') !== null")
            card = await page.js(
                "[document.querySelector('.sb-article strong').textContent,"
                " document.querySelector('.sb-article a').href]"
            )
            assert card == ["Vesilaskun maksaminen", f"{desk_origin}/kb/articles/{article_id}"]

            # Too large: refused in the browser, with the limit, and nothing is sent.
            await choose_file(page, big)
            await page.until("document.querySelector('.sb-alert').textContent !== ''")
            assert await page.js("document.querySelector('.sb-alert').textContent") == (
                f"Tiedosto on liian suuri; raja on {store.max_bytes} tavua."
            )
            # Not a PNG inside: the server refuses it and the widget says why.
            await choose_file(page, fake)
            await page.until("document.querySelector('.sb-log .sb-failed') !== null")
            assert await page.js("document.querySelector('.sb-alert').textContent") == (
                "the file's content is not image/png"
            )
            assert [p for p in store.root.rglob("*") if p.is_file()] == []
            # A real photo is kept for the request to come.
            await choose_file(page, photo)
            await page.until(
                "document.querySelector('.sb-log').textContent.includes('Tallensin tiedostosi')"
            )

            # Nobody at the desk: the bot offers to leave a message, and the widget does.
            await say(page, "Haluan puhua ihmisen kanssa")
            await page.until("!document.querySelector('.sb-leave').hidden")
            await say(page, "Soittakaa minulle laskusta")
            await page.until(
                "document.querySelector('.sb-log').textContent.includes('Pyyntösi numero on')"
            )
            number = await page.js("document.querySelector('.sb-status').textContent")
            assert number.startswith("Pyyntö ")
            number = number.removeprefix("Pyyntö ")

    ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["subject"] == "Soittakaa minulle laskusta" and ticket["channel"] == "chat"
    assert [a["filename"] for a in ticket["attachments"]] == ["mittari.png"]
    [entry] = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
    assert "Visitor: Miten maksan vesilaskun?" in entry["body"]
