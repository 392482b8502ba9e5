"""Viber bot API against a local server speaking its documented callbacks and
``/pa/send_message``: a message lands in a ticket, the reply leaves through Viber, its
receipts land on the reply; forgeries are refused, replays stored once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from channels.adapter import Outbound
from channels.messaging.viber import ViberAdapter
from channels.models import ChannelInbound, ChannelOutbox
from tests.channels.app_providers import PDF, PNG, Apps, messaging_apps
from tests.ticketing.conftest import Desk

USER = "01234567890A="


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with messaging_apps(desk) as apps:
        yield apps


def viber_message(token: int, text: str, **message: Any) -> dict[str, Any]:
    return {
        "event": "message",
        "timestamp": 1457764197627,
        "message_token": token,
        "sender": {
            "id": USER,
            "name": "Olena Kovalenko",
            "avatar": "http://avatar.example.com",
            "language": "uk",
            "country": "UA",
            "api_version": 1,
        },
        "message": {"type": "text", "text": text, "tracking_data": "", **message},
    }


def receipt(event: str, token: str) -> dict[str, Any]:
    return {"event": event, "timestamp": 1457764197627, "message_token": token, "user_id": USER}


async def rows(apps: Apps, table: Any) -> list[Any]:
    async with apps.desk.db.session() as session:
        return list((await session.exec(select(table))).all())


async def test_viber_message_to_ticket_and_reply_with_receipts(
    apps: Apps, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        forged = await apps.viber(viber_message(1001, "Немає світла"), token="guessed")
    assert forged.status_code == 403
    assert "refused a viber webhook" in caplog.text
    assert await rows(apps, ChannelInbound) == []

    for _ in range(2):  # Viber retries callbacks it got no 200 for: stored once
        answer = await apps.viber(viber_message(1001, "Немає світла на вулиці Шевченка"))
        assert answer.status_code == 200
    assert len(await rows(apps, ChannelInbound)) == 1
    [first] = await apps.channels.threader.thread_pending()
    assert first.new_ticket

    # The same person writing again joins the same contact and ticket.
    await apps.viber(viber_message(1002, "Вже дві години"))
    [second] = await apps.channels.threader.thread_pending()
    assert second.ticket_number == first.ticket_number and not second.new_ticket
    found = await apps.desk.system.get(
        "/api/contacts/lookup", params={"kind": "viber", "value": USER}
    )
    assert found.status_code == 200, found.text
    assert found.json()["display_name"] == "Olena Kovalenko"
    ticket = await apps.ticket(first.ticket_number)
    assert ticket["contact_id"] == found.json()["id"]
    assert [e["body"] for e in await apps.entries(first.ticket_number)] == [
        "Немає світла на вулиці Шевченка",
        "Вже дві години",
    ]

    await apps.reply(first.ticket_number, "Бригада вже їде.", "viber")
    [sent] = apps.provider.sent
    assert sent["receiver"] == USER and sent["type"] == "text"
    assert sent["text"] == "Бригада вже їде." and sent["sender"] == {"name": "Desk"}
    for event in ("delivered", "seen"):
        assert (await apps.viber(receipt(event, sent["message_token"]))).status_code == 200
    [row] = await rows(apps, ChannelOutbox)
    assert row.status == "sent" and row.meta["delivery"] == "read"


async def test_viber_pictures_come_in_and_files_go_out(apps: Apps) -> None:
    apps.files.by_name["meter.png"] = (PNG, "image/png")
    picture = viber_message(
        2001, "Лічильник", type="picture", media=f"{apps.provider.url}/files/meter.png"
    )
    assert (await apps.viber(picture)).status_code == 200
    [threaded] = await apps.channels.threader.thread_pending()
    ticket = await apps.ticket(threaded.ticket_number)
    assert [(a["filename"], a["size"]) for a in ticket["attachments"]] == [("meter.png", len(PNG))]
    assert ticket["attachments"][0]["entry_id"] == threaded.entry_id

    adapter = apps.channels.adapters["viber"]
    assert isinstance(adapter, ViberAdapter)
    apps.files.by_name["plan.jpg"] = (b"\xff\xd8\xff plan", "image/jpeg")
    apps.files.by_name["schedule.pdf"] = (PDF, "application/pdf")
    picture_out = {"type": "picture", "url": f"{apps.provider.url}/files/plan.jpg"}
    file_out = {
        "type": "file",
        "url": f"{apps.provider.url}/files/schedule.pdf",
        "file_name": "schedule.pdf",
        "size": 1234,
    }
    await adapter.send(Outbound(1, USER, "", "Схема", {"media": picture_out}))
    await adapter.send(Outbound(2, USER, "", "", {"media": file_out}))
    sent_picture, sent_file = apps.provider.sent
    assert sent_picture["type"] == "picture" and sent_picture["text"] == "Схема"
    assert sent_picture["media"] == picture_out["url"]
    assert sent_file["type"] == "file" and sent_file["file_name"] == "schedule.pdf"
    assert sent_file["size"] == 1234 and sent_file["media"] == file_out["url"]


async def test_a_user_leaving_the_bot_is_sent_nothing_more(apps: Apps) -> None:
    await apps.viber(viber_message(3001, "Hello"))
    [threaded] = await apps.channels.threader.thread_pending()
    started = {
        "event": "conversation_started",
        "timestamp": 1457764197627,
        "message_token": 3002,
        "type": "open",
        "user": {"id": USER, "name": "Olena"},
        "subscribed": True,
    }
    answer = await apps.viber(started)  # answered without a welcome message
    assert answer.status_code == 200 and answer.content == b""
    unsubscribed = {"event": "unsubscribed", "timestamp": 1, "user_id": USER, "message_token": 3}
    assert (await apps.viber(unsubscribed)).status_code == 200
    await apps.reply(threaded.ticket_number, "Are you still there?", "viber")
    assert apps.provider.sent == []
    entries = await apps.entries(threaded.ticket_number)
    assert any(e["kind"] == "event" and "opted out" in e["body"] for e in entries)
