"""Facebook Messenger against a local server speaking the Messenger Platform's webhook
payloads and Send API: the subscription check, a message with an attachment into a
ticket, the reply out, delivery and read receipts onto it; forgeries refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from channels.models import ChannelInbound, ChannelOutbox
from tests.channels.app_providers import MESSENGER_SECRET, PNG, Apps, messaging_apps
from tests.ticketing.conftest import Desk

PSID = "6254865817895463"
PAGE = "106540352242922"


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with messaging_apps(desk) as apps:
        yield apps


def page_event(item: dict[str, Any]) -> dict[str, Any]:
    stamped = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1, **item}
    return {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [stamped]}]}


def message(mid: str, text: str, *urls: str) -> dict[str, Any]:
    content: dict[str, Any] = {"mid": mid, "text": text}
    if urls:
        content["attachments"] = [{"type": "image", "payload": {"url": u}} for u in urls]
    return page_event({"message": content})


async def test_messenger_subscription_check(apps: Apps) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "page-verify", "hub.challenge": "77"}
    answer = await apps.web.get("/api/channels/messenger", params=params)
    assert answer.status_code == 200 and answer.text == "77"
    wrong = await apps.web.get(
        "/api/channels/messenger", params={**params, "hub.verify_token": "guess"}
    )
    assert wrong.status_code == 403


async def test_messenger_message_to_ticket_and_reply_with_receipts(apps: Apps) -> None:
    payload = message("m_first", "The meter is broken", f"{apps.provider.url}/files/meter.png")
    forged = await apps.meta("/api/channels/messenger", payload, "not-the-secret")
    assert forged.status_code == 403
    async with apps.desk.db.session() as session:
        assert (await session.exec(select(ChannelInbound))).all() == []

    apps.files.by_name["meter.png"] = (PNG, "image/png")
    for _ in range(2):  # a redelivered webhook is a duplicate
        answer = await apps.meta("/api/channels/messenger", payload, MESSENGER_SECRET)
        assert answer.status_code == 200
    [threaded] = await apps.channels.threader.thread_pending()
    ticket = await apps.ticket(threaded.ticket_number)
    assert [a["filename"] for a in ticket["attachments"]] == ["meter.png"]
    echo = page_event({"message": {"mid": "m_echo", "text": "ours", "is_echo": True}})
    await apps.meta("/api/channels/messenger", echo, MESSENGER_SECRET)
    await apps.meta("/api/channels/messenger", message("m_second", "Hello?"), MESSENGER_SECRET)
    [again] = await apps.channels.threader.thread_pending()  # the echo is not a message
    assert again.ticket_number == threaded.ticket_number
    found = await apps.desk.system.get(
        "/api/contacts/lookup", params={"kind": "messenger", "value": PSID}
    )
    assert found.json()["id"] == ticket["contact_id"]

    await apps.reply(threaded.ticket_number, "A new meter is on its way.", "messenger")
    [sent] = apps.provider.sent
    assert sent["recipient"] == {"id": PSID} and sent["messaging_type"] == "RESPONSE"
    assert sent["message"] == {"text": "A new meter is on its way."}
    delivery = page_event({"delivery": {"mids": [sent["message_id"]], "watermark": 1}})
    await apps.meta("/api/channels/messenger", delivery, MESSENGER_SECRET)
    async with apps.desk.db.session() as session:
        row = (await session.exec(select(ChannelOutbox))).one()
    assert row.status == "sent" and row.meta["delivery"] == "delivered"
    read = page_event({"read": {"watermark": int(time.time() * 1000) + 1000}})
    await apps.meta("/api/channels/messenger", read, MESSENGER_SECRET)
    async with apps.desk.db.session() as session:
        row = (await session.exec(select(ChannelOutbox))).one()
    assert row.meta["delivery"] == "read"
