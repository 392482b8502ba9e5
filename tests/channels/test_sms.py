"""Two-way SMS through the webhooks and a local provider server: Twilio-compatible and
generic adapters, signatures, replays, long messages, opt-out keywords."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from channels.models import ChannelInbound, ChannelOutbox, OutboxStatus
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, SmsSettings
from channels.sms.generic import sign
from channels.sms.segments import join, split
from channels.sms.twilio import signature
from tests.channels.providers import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, Provider, running_provider
from tests.ticketing.conftest import Desk
from web.app import create_app

BASE = "https://desk.example"
SECRET = "generic-webhook-secret"
CUSTOMER = "+358401234567"


@dataclasses.dataclass
class SmsDesk:
    desk: Desk
    channels: Channels
    provider: Provider
    web: httpx.AsyncClient

    async def twilio(
        self,
        params: dict[str, str],
        *,
        path: str = "/api/channels/sms/twilio",
        forged: bool = False,
    ) -> httpx.Response:
        sig = signature("wrong" if forged else AUTH_TOKEN, BASE + path, params)
        return await self.web.post(path, data=params, headers={"X-Twilio-Signature": sig})

    async def generic(
        self,
        payload: dict[str, Any],
        *,
        path: str = "/api/channels/sms/generic",
        forged: bool = False,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        sig = sign("wrong" if forged else SECRET, body)
        return await self.web.post(
            path, content=body, headers={"X-Signature": sig, "Content-Type": "application/json"}
        )

    async def rows(self) -> list[ChannelInbound]:
        async with self.desk.db.session() as session:
            return list((await session.exec(select(ChannelInbound))).all())

    async def outbox(self) -> list[ChannelOutbox]:
        async with self.desk.db.session() as session:
            return list((await session.exec(select(ChannelOutbox))).all())

    async def reply(self, number: str, body: str) -> None:
        made = await self.desk.system.post(
            f"/api/tickets/{number}/entries", json={"kind": "reply", "body": body, "channel": "sms"}
        )
        assert made.status_code == 201, made.text
        await self.channels.outbox.collect()
        await self.channels.outbox.send_due()

    async def entries(self, number: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (
            await self.desk.system.get(f"/api/tickets/{number}/entries")
        ).json()
        return result


async def _sms_desk(desk: Desk, provider: Provider, kind: str) -> AsyncIterator[SmsDesk]:
    settings = ChannelSettings(
        sms=SmsSettings(
            provider=kind,  # type: ignore[arg-type]
            from_number="+358501110000",
            webhook_base_url=BASE,
            api_base=provider.url,
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            send_url=f"{provider.url}/generic/send",
            api_token=API_TOKEN,
            webhook_secret=SECRET,
        ),
        backoff_seconds=0.05,
    )
    channels = build_channels(settings, desk.db, desk.bus, desk.services.attachments.store)
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    web = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    try:
        yield SmsDesk(desk, channels, provider, web)
    finally:
        await web.aclose()
        await channels.close()


@pytest.fixture
async def twilio(desk: Desk) -> AsyncIterator[SmsDesk]:
    async with running_provider() as provider:
        async for sms in _sms_desk(desk, provider, "twilio"):
            yield sms


@pytest.fixture
async def generic(desk: Desk) -> AsyncIterator[SmsDesk]:
    async with running_provider() as provider:
        async for sms in _sms_desk(desk, provider, "generic"):
            yield sms


def twilio_sms(sid: str, body: str, sender: str = "0401234567") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": "+358501110000",
        "Body": body,
        "NumSegments": "1",
    }


async def test_a_twilio_sms_opens_a_ticket_and_the_reply_goes_back_by_sms(
    twilio: SmsDesk,
) -> None:
    answer = await twilio.twilio(twilio_sms("SM1", "Power cut on Kotikatu 5"))
    assert answer.status_code == 200 and "<Response>" in answer.text
    [threaded] = await twilio.channels.threader.thread_pending()
    number = threaded.ticket_number
    ticket = (await twilio.desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["channel"] == "sms" and ticket["subject"] == "Power cut on Kotikatu 5"

    await twilio.twilio(twilio_sms("SM2", "Still dark"))  # same sender: same open ticket
    [again] = await twilio.channels.threader.thread_pending()
    assert again.ticket_number == number and not again.new_ticket

    await twilio.reply(number, "Crews are on site.")
    [sent] = twilio.provider.sent
    assert sent["To"] == CUSTOMER and sent["From"] == "+358501110000"
    assert sent["Body"] == "Crews are on site."
    assert sent["StatusCallback"] == f"{BASE}/api/channels/sms/twilio/status"
    [row] = await twilio.outbox()
    assert row.status == OutboxStatus.SENT and row.provider_id == sent["sid"]

    report = {"MessageSid": sent["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert (await twilio.twilio(report, path="/api/channels/sms/twilio/status")).json() == {
        "known": True
    }
    events = [e for e in await twilio.entries(number) if e["kind"] == "event"]
    assert len(events) == 1 and "30003" in events[0]["body"]


async def test_forged_twilio_webhooks_are_refused_and_replays_are_stored_once(
    twilio: SmsDesk, caplog: pytest.LogCaptureFixture
) -> None:
    forged = await twilio.twilio(twilio_sms("SM9", "give me a refund"), forged=True)
    assert forged.status_code == 403
    assert "bad signature" in caplog.text
    unsigned = await twilio.web.post("/api/channels/sms/twilio", data=twilio_sms("SM9", "x"))
    assert unsigned.status_code == 403
    assert await twilio.rows() == []
    for _ in range(3):
        assert (await twilio.twilio(twilio_sms("SM10", "hello"))).status_code == 200
    assert len(await twilio.rows()) == 1
    assert len(await twilio.channels.threader.thread_pending()) == 1


@pytest.mark.parametrize("word", ["STOP", "lopeta", "Stopp", "СТОП"])
async def test_opt_out_keywords_stop_replies_until_start(twilio: SmsDesk, word: str) -> None:
    await twilio.twilio(twilio_sms("SM1", "Is the water safe?"))
    [threaded] = await twilio.channels.threader.thread_pending()
    await twilio.twilio(twilio_sms("SM2", word))
    assert await twilio.channels.threader.thread_pending() == []
    await twilio.reply(threaded.ticket_number, "Yes, it is.")
    assert twilio.provider.sent == []
    failed = [e for e in await twilio.entries(threaded.ticket_number) if e["kind"] == "event"]
    assert len(failed) == 1 and "opted out" in failed[0]["body"]

    await twilio.twilio(twilio_sms("SM3", "START"))
    await twilio.channels.threader.thread_pending()
    await twilio.reply(threaded.ticket_number, "Welcome back.")
    assert [m["Body"] for m in twilio.provider.sent] == ["Welcome back."]


async def test_generic_long_messages_are_joined_in_and_split_out(generic: SmsDesk) -> None:
    text = "Kotikatu 5: " + "the street lamp outside the school flickers all night. " * 6
    parts = split(text)
    assert len(parts) == 3
    for number in (3, 1, 2):  # out of order, as networks deliver them
        answer = await generic.generic(
            {
                "id": f"p{number}",
                "from": "040 123 4567",
                "text": parts[number - 1],
                "concat_ref": "r1",
                "part": number,
                "parts": 3,
            }
        )
        assert answer.json() == {"status": "stored"}
        threaded = await generic.channels.threader.thread_pending()
        assert (threaded == []) == (number != 2)
    [entry] = await generic.entries(threaded[0].ticket_number)
    assert entry["body"] == text.strip()

    await generic.reply(threaded[0].ticket_number, text)
    sent = generic.provider.sent
    assert [m["part"] for m in sent] == [1, 2, 3] and {m["parts"] for m in sent} == {3}
    assert join([(m["part"], m["text"]) for m in sent]) == text.strip()
    assert all(m["to"] == CUSTOMER for m in sent)


async def test_generic_webhooks_check_signatures_and_de_duplicate(generic: SmsDesk) -> None:
    message = {"id": "g1", "from": CUSTOMER, "text": "hi"}
    assert (await generic.generic(message, forged=True)).status_code == 403
    assert await generic.rows() == []
    assert (await generic.generic(message)).json() == {"status": "stored"}
    assert (await generic.generic(message)).json() == {"status": "duplicate"}
    assert (await generic.generic({"id": "g2", "from": "nonsense"})).status_code == 422


async def test_a_refusing_provider_is_retried_and_then_shown_as_failed(generic: SmsDesk) -> None:
    await generic.generic({"id": "g1", "from": CUSTOMER, "text": "hi"})
    [threaded] = await generic.channels.threader.thread_pending()
    generic.provider.refuse = 503
    await generic.reply(threaded.ticket_number, "Hello")
    [row] = await generic.outbox()
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    generic.provider.refuse = 400
    async with generic.desk.db.transaction() as session:  # the backoff has passed
        row.next_attempt_at = row.created_at
        session.add(row)
    await generic.channels.outbox.send_due()
    [row] = await generic.outbox()
    assert row.status == OutboxStatus.FAILED and "400" in row.last_error


def test_splitting_respects_gsm7_and_unicode_sizes() -> None:
    assert split("a" * 160) == ["a" * 160]
    assert [len(p) for p in split("a" * 161)] == [153, 8]
    assert split("ä" * 160) == ["ä" * 160]  # ä is in GSM-7
    assert [len(p) for p in split("я" * 71)] == [67, 4]  # Cyrillic needs UCS-2
    words = "Вода буде відключена завтра з 9 до 17 години. " * 4
    assert "".join(split(words)) == words
