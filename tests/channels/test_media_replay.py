"""A provider retrying a webhook whose message carries a picture: the message is stored
once and its file downloaded from the provider once, on WhatsApp, Viber, Telegram and
Messenger alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.channels.app_providers import (
    MESSENGER_SECRET,
    PNG,
    TELEGRAM_SECRET,
    WHATSAPP_SECRET,
    Apps,
    messaging_apps,
)
from tests.ticketing.conftest import Desk

Deliver = Callable[[Apps], Awaitable[httpx.Response]]


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with messaging_apps(desk) as apps:
        apps.files.by_name["leak.png"] = (PNG, "image/png")
        yield apps


async def whatsapp(apps: Apps) -> httpx.Response:
    message = {
        "from": "358401234567",
        "id": "wamid.HBgLMzU4NDAxMjM0NTY3FQIAEhgg",
        "timestamp": "1",
        "type": "image",
        "image": {"id": "leak.png", "mime_type": "image/png", "caption": "Leak"},
    }
    value = {
        "messaging_product": "whatsapp",
        "contacts": [{"profile": {"name": "Anna"}, "wa_id": "358401234567"}],
        "messages": [message],
    }
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    return await apps.meta("/api/channels/whatsapp", payload, WHATSAPP_SECRET)


async def viber(apps: Apps) -> httpx.Response:
    payload = {
        "event": "message",
        "message_token": 4912661846655238145,
        "sender": {"id": "01234567890A=", "name": "Pekka", "language": "fi"},
        "message": {
            "type": "picture",
            "text": "Leak",
            "media": f"{apps.provider.url}/files/leak.png",
        },
    }
    return await apps.viber(payload)


async def telegram(apps: Apps) -> httpx.Response:
    update = {
        "update_id": 731,
        "message": {
            "message_id": 12,
            "date": 1,
            "caption": "Leak",
            "photo": [{"file_id": "leak.png", "file_unique_id": "u1", "width": 90, "height": 90}],
            "from": {"id": 987654321, "first_name": "Mykola"},
            "chat": {"id": 987654321, "type": "private"},
        },
    }
    return await apps.web.post(
        "/api/channels/telegram",
        content=json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )


async def messenger(apps: Apps) -> httpx.Response:
    item = {
        "sender": {"id": "6254865817895463"},
        "recipient": {"id": "106540352242922"},
        "timestamp": 1,
        "message": {
            "mid": "m_replayed",
            "text": "Leak",
            "attachments": [
                {"type": "image", "payload": {"url": f"{apps.provider.url}/files/leak.png"}}
            ],
        },
    }
    payload = {"object": "page", "entry": [{"id": "106540352242922", "messaging": [item]}]}
    return await apps.meta("/api/channels/messenger", payload, MESSENGER_SECRET)


@pytest.mark.parametrize("deliver", [whatsapp, viber, telegram, messenger])
async def test_a_replayed_webhook_downloads_its_picture_once(apps: Apps, deliver: Deliver) -> None:
    for _ in range(2):  # the provider did not see our answer and sends the webhook again
        answer = await deliver(apps)
        assert answer.status_code == 200, answer.text
    assert apps.files.downloads == ["leak.png"]
    [threaded] = await apps.channels.threader.thread_pending()
    [entry] = await apps.entries(threaded.ticket_number)
    assert entry["body"] == "Leak"
    ticket = await apps.ticket(threaded.ticket_number)
    [attachment] = ticket["attachments"]
    assert attachment["entry_id"] == entry["id"] and attachment["content_type"] == "image/png"
    download = await apps.desk.system.get(f"/api/attachments/{attachment['id']}")
    assert download.content == PNG
