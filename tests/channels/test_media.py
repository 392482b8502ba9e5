"""Pictures and documents from the messaging apps become ticket attachments: WhatsApp's
media id -> URL -> download, Telegram's getFile -> file path; a file over the limit or
of a refused type is named on the entry with the reason and the text is kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.channels.app_providers import (
    PDF,
    PNG,
    TELEGRAM_SECRET,
    WHATSAPP_SECRET,
    Apps,
    messaging_apps,
)
from tests.ticketing.conftest import Desk


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with messaging_apps(desk) as apps:
        yield apps


def whatsapp(wamid: str, kind: str, media: dict[str, Any]) -> dict[str, Any]:
    message = {"from": "358401234567", "id": wamid, "timestamp": "1", "type": kind, kind: media}
    value = {
        "messaging_product": "whatsapp",
        "contacts": [{"profile": {"name": "Anna"}, "wa_id": "358401234567"}],
        "messages": [message],
    }
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


async def test_whatsapp_pictures_and_documents_are_attached(apps: Apps) -> None:
    apps.files.by_name["1203745"] = (PNG, "image/png")
    apps.files.by_name["8810442"] = (PDF, "application/pdf")
    picture = whatsapp("wamid.p", "image", {"id": "1203745", "mime_type": "image/png"})
    picture["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["caption"] = "Leak"
    document = whatsapp(
        "wamid.d",
        "document",
        {"id": "8810442", "mime_type": "application/pdf", "filename": "bill.pdf"},
    )
    for payload in (picture, document):
        answer = await apps.meta("/api/channels/whatsapp", payload, WHATSAPP_SECRET)
        assert answer.status_code == 200 and answer.json()["stored"] == 1
    first, second = await apps.channels.threader.thread_pending()
    assert first.ticket_number == second.ticket_number
    ticket = await apps.ticket(first.ticket_number)
    assert [(a["filename"], a["content_type"], a["entry_id"]) for a in ticket["attachments"]] == [
        ("1203745.png", "image/png", first.entry_id),
        ("bill.pdf", "application/pdf", second.entry_id),
    ]
    picture_entry = (await apps.entries(first.ticket_number))[0]
    assert picture_entry["body"] == "Leak"
    download = await apps.desk.system.get(f"/api/attachments/{ticket['attachments'][0]['id']}")
    assert download.content == PNG


async def test_oversized_and_refused_media_are_named_and_the_text_kept(apps: Apps) -> None:
    limit = apps.channels.inbox.store.max_bytes
    apps.files.by_name["huge.pdf"] = (b"%PDF-" + b"x" * limit, "application/pdf")
    apps.files.by_name["tool.exe"] = (b"MZ" + b"x" * 100, "application/octet-stream")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for update_id, name in ((10, "huge.pdf"), (11, "tool.exe")):
        update = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1,
                "caption": f"Here is {name}",
                "document": {"file_id": name, "file_name": name, "mime_type": "x/y"},
                "from": {"id": 987654321, "first_name": "Mykola"},
                "chat": {"id": 987654321, "type": "private"},
            },
        }
        answer = await apps.web.post(
            "/api/channels/telegram", content=json.dumps(update), headers=headers
        )
        assert answer.status_code == 200
    assert "huge.pdf" not in apps.files.downloads  # its size was known from getFile
    threaded = await apps.channels.threader.thread_pending()
    number = threaded[0].ticket_number
    assert (await apps.ticket(number))["attachments"] == []
    huge, tool = await apps.entries(number)
    assert huge["body"].startswith("Here is huge.pdf")
    assert "huge.pdf: the file is larger than the" in huge["body"]
    assert tool["body"].startswith("Here is tool.exe") and "tool.exe" in tool["body"]
    assert "not accepted" in tool["body"]


async def test_a_file_without_a_declared_size_stops_at_the_limit(apps: Apps) -> None:
    limit = apps.channels.inbox.store.max_bytes
    apps.files.by_name["big.png"] = (PNG + b"x" * limit, "image/png")
    payload = {
        "event": "message",
        "message_token": 77,
        "sender": {"id": "viberUser1=", "name": "Pekka"},
        "message": {"type": "picture", "text": "", "media": f"{apps.provider.url}/files/big.png"},
    }
    assert (await apps.viber(payload)).status_code == 200
    [threaded] = await apps.channels.threader.thread_pending()
    [entry] = await apps.entries(threaded.ticket_number)
    assert "big.png: the file is larger than the" in entry["body"]
    assert (await apps.ticket(threaded.ticket_number))["attachments"] == []
