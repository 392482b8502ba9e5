"""WhatsApp Cloud API and Telegram Bot API against a local server speaking their
documented payloads: signed webhooks in, replies out, statuses, forgeries refused."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from channels.messaging.whatsapp import sign
from channels.models import ChannelInbound, ChannelOutbox
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, TelegramSettings, WhatsAppSettings
from switchboard.db_types import utcnow
from tests.channels.providers import (
    BOT_TOKEN,
    PHONE_NUMBER_ID,
    WHATSAPP_TOKEN,
    Provider,
    running_provider,
)
from tests.ticketing.conftest import Desk
from web.app import create_app

APP_SECRET = "whatsapp-app-secret"
TELEGRAM_SECRET = "telegram-secret-token"


@dataclasses.dataclass
class Apps:
    desk: Desk
    channels: Channels
    provider: Provider
    web: httpx.AsyncClient

    async def whatsapp(self, payload: dict[str, Any], forged: bool = False) -> httpx.Response:
        body = json.dumps(payload).encode()
        signature = sign("wrong" if forged else APP_SECRET, body)
        return await self.web.post(
            "/api/channels/whatsapp",
            content=body,
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        )

    async def reply(self, number: str, body: str, channel: str) -> None:
        made = await self.desk.system.post(
            f"/api/tickets/{number}/entries",
            json={"kind": "reply", "body": body, "channel": channel},
        )
        assert made.status_code == 201, made.text
        await self.channels.outbox.collect()
        await self.channels.outbox.send_due()

    async def count(self, table: Any) -> int:
        async with self.desk.db.session() as session:
            return len((await session.exec(select(table))).all())


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with running_provider() as provider:
        settings = ChannelSettings(
            whatsapp=WhatsAppSettings(
                enabled=True,
                api_base=provider.url,
                phone_number_id=PHONE_NUMBER_ID,
                access_token=WHATSAPP_TOKEN,
                app_secret=APP_SECRET,
                verify_token="verify-me",
            ),
            telegram=TelegramSettings(
                enabled=True,
                api_base=provider.url,
                bot_token=BOT_TOKEN,
                webhook_secret=TELEGRAM_SECRET,
            ),
        )
        channels = build_channels(settings, desk.db, desk.bus, desk.services.attachments.store)
        app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://desk.example"
        ) as web:
            yield Apps(desk, channels, provider, web)
        await channels.close()


def whatsapp_message(wamid: str, text: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "358501110000",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "358401234567"}],
                            "messages": [
                                {
                                    "from": "358401234567",
                                    "id": wamid,
                                    "timestamp": "1763770000",
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(wamid: str, status: str) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "statuses": [
            {
                "id": wamid,
                "status": status,
                "timestamp": "1763770001",
                "recipient_id": "358401234567",
            }
        ],
    }
    if status == "failed":
        value["statuses"][0]["errors"] = [{"code": 131047, "title": "Re-engagement message"}]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


async def test_whatsapp_round_trip_with_statuses(apps: Apps) -> None:
    known = await apps.desk.system.post(
        "/api/contacts",
        json={"display_name": "Anna", "identities": [{"kind": "phone", "value": "0401234567"}]},
    )
    assert known.status_code == 201, known.text
    check = await apps.web.get(
        "/api/channels/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert check.status_code == 200 and check.text == "42"
    assert (
        await apps.whatsapp(whatsapp_message("wamid.1", "Gas smell"), forged=True)
    ).status_code == 403
    assert await apps.count(ChannelInbound) == 0
    for _ in range(2):  # Meta retries webhooks: the second is a duplicate
        assert (await apps.whatsapp(whatsapp_message("wamid.1", "Gas smell"))).status_code == 200
    [threaded] = await apps.channels.threader.thread_pending()
    contact = await apps.desk.system.get(
        "/api/contacts/lookup", params={"kind": "whatsapp", "value": "+358401234567"}
    )
    assert contact.json()["id"] == known.json()["id"]  # the caller and the WhatsApp user

    await apps.reply(threaded.ticket_number, "Leave the building, a crew is coming.", "whatsapp")
    [sent] = apps.provider.sent
    assert sent["to"] == "358401234567" and sent["messaging_product"] == "whatsapp"
    assert sent["text"] == {"body": "Leave the building, a crew is coming."}
    await apps.whatsapp(whatsapp_status(sent["id"], "read"))
    async with apps.desk.db.session() as session:
        row = (await session.exec(select(ChannelOutbox))).one()
    assert row.status == "sent" and row.meta["delivery"] == "read"
    await apps.whatsapp(whatsapp_status(sent["id"], "failed"))
    entries = (await apps.desk.system.get(f"/api/tickets/{threaded.ticket_number}/entries")).json()
    assert any(e["kind"] == "event" and "Re-engagement" in e["body"] for e in entries)


async def _age_inbound(apps: Apps, hours: float) -> None:
    """Pretend the customer's WhatsApp messages came in ``hours`` ago."""
    async with apps.desk.db.transaction() as session:
        for row in (await session.exec(select(ChannelInbound))).all():
            row.received_at = utcnow() - timedelta(hours=hours)
            session.add(row)


async def test_a_reply_after_the_24_hour_window_goes_as_the_approved_template(
    apps: Apps,
) -> None:
    await apps.whatsapp(whatsapp_message("wamid.7", "Meter reading 12345"))
    [threaded] = await apps.channels.threader.thread_pending()
    await _age_inbound(apps, 25)

    # no reply template configured: the reply fails on the ticket, saying why
    await apps.reply(threaded.ticket_number, "Thank you, the reading is saved.", "whatsapp")
    assert apps.provider.sent == []
    entries = (await apps.desk.system.get(f"/api/tickets/{threaded.ticket_number}/entries")).json()
    failure = next(e for e in entries if e["kind"] == "event")
    assert "has not written on WhatsApp in the last 24 hours" in failure["body"]
    assert "channels.whatsapp.reply_template" in failure["body"]

    apps.channels.adapters["whatsapp"].settings.reply_template = "late_reply"
    await apps.reply(threaded.ticket_number, "Your new meter is installed.", "whatsapp")
    [sent] = apps.provider.sent
    assert sent["type"] == "template" and sent["to"] == "358401234567"
    assert sent["template"]["name"] == "late_reply"
    assert sent["template"]["language"] == {"code": "fi"}
    assert sent["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Your new meter is installed."}
    ]

    # once the customer writes again, replies are free text again
    await apps.whatsapp(whatsapp_message("wamid.8", "Thanks!"))
    await apps.channels.threader.thread_pending()
    await apps.reply(threaded.ticket_number, "You are welcome.", "whatsapp")
    assert apps.provider.sent[-1]["text"] == {"body": "You are welcome."}


def telegram_update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "date": 1763770000,
            "text": text,
            "from": {
                "id": 987654321,
                "is_bot": False,
                "first_name": "Mykola",
                "username": "mykola",
            },
            "chat": {"id": 987654321, "type": "private", "first_name": "Mykola"},
        },
    }


async def test_telegram_round_trip_and_a_blocked_bot(apps: Apps) -> None:
    forged = await apps.web.post(
        "/api/channels/telegram",
        json=telegram_update(1, "hi"),
        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
    )
    assert forged.status_code == 403 and await apps.count(ChannelInbound) == 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for update_id, text in ((1, "Світло зникло"), (2, "На вулиці Шевченка")):
        answer = await apps.web.post(
            "/api/channels/telegram", json=telegram_update(update_id, text), headers=headers
        )
        assert answer.json() == {"ok": True}
    threaded = await apps.channels.threader.thread_pending()
    assert len({t.ticket_number for t in threaded}) == 1  # one conversation, one ticket
    number = threaded[0].ticket_number
    await apps.reply(number, "Дякуємо, бригада вже їде.", "telegram")
    assert apps.provider.sent == [{"chat_id": "987654321", "text": "Дякуємо, бригада вже їде."}]
    apps.provider.refuse = 403
    await apps.reply(number, "Ще одне", "telegram")
    entries = (await apps.desk.system.get(f"/api/tickets/{number}/entries")).json()
    assert any(e["kind"] == "event" and "blocked" in e["body"] for e in entries)
