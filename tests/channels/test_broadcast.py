"""Works notices broadcast to subscribers by area, channel and language, once each, with
a status per recipient; opted-out people get nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from channels.models import ChannelOutbox, Subscription
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, EmailSettings, SmsSettings
from notices.models import NoticeKind
from notices.service import NoticeService
from switchboard.db_types import utcnow
from tests.channels.conftest import SmtpSink
from tests.channels.providers import API_TOKEN, Provider, running_provider
from tests.ticketing.conftest import Desk


@dataclasses.dataclass
class Both:
    channels: Channels
    provider: Provider


@pytest.fixture
async def both(desk: Desk, sink: SmtpSink) -> AsyncIterator[Both]:
    async with running_provider() as provider:
        settings = ChannelSettings(
            email=EmailSettings(enabled=True, smtp_listen_port=0, relay_port=sink.port),
            sms=SmsSettings(
                provider="generic",
                send_url=f"{provider.url}/generic/send",
                api_token=API_TOKEN,
                from_number="+358501110000",
                webhook_secret="s",
            ),
            per_second={"sms": 200.0},
        )
        channels = build_channels(settings, desk.db, desk.bus, desk.services.attachments.store)
        try:
            yield Both(channels, provider)
        finally:
            await channels.close()


async def test_a_notice_reaches_each_subscriber_of_its_areas_once(
    desk: Desk, both: Both, sink: SmtpSink
) -> None:
    broadcasts = both.channels.broadcasts
    await broadcasts.subscribe("sms", "040 111 1111", "00100", "fi")
    await broadcasts.subscribe("sms", "040 222 2222", "00200", "sv")  # another area
    await broadcasts.subscribe("email", "Resident@Example.fi", "00100", "en")
    await broadcasts.subscribe("sms", "040 333 3333", "*", "uk")  # the whole city
    await broadcasts.subscribe("sms", "040 444 4444", "00100", "fi")
    assert await broadcasts.unsubscribe("sms", "0404444444") == 1
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.EMERGENCY,
        title="Water outage",
        message={
            "en": "No water in 00100 until 18:00.",
            "fi": "Vesikatko 00100 klo 18 asti.",
            "uk": "Немає води в 00100 до 18:00.",
        },
        areas=["00100"],
        starts_at=utcnow(),
        expected_end_at=utcnow() + timedelta(hours=6),
    )
    assert notice.id is not None
    report = await broadcasts.send(notice.id)
    assert report.queued == 3 and report.statuses == {"queued": 3}
    assert (await broadcasts.send(notice.id)).queued == 0  # publishing twice sends once

    assert await both.channels.outbox.send_due() == 3
    texts = {m["to"]: m["text"] for m in both.provider.sent}
    assert texts == {
        "+358401111111": "Vesikatko 00100 klo 18 asti.",
        "+358403333333": "Немає води в 00100 до 18:00.",
    }
    [mail] = sink.messages
    assert mail["To"] == "resident@example.fi" and mail["Subject"] == "Water outage"
    assert mail["Precedence"] == "bulk" and mail["Auto-Submitted"] == "auto-generated"
    assert await broadcasts.statuses(notice.id) == {"sent": 3}


async def test_stop_by_sms_ends_the_subscriptions_of_that_number(desk: Desk, both: Both) -> None:
    from channels.adapter import Inbound

    broadcasts = both.channels.broadcasts
    await broadcasts.subscribe("sms", "+358401111111", "00100")
    await broadcasts.subscribe("sms", "+358401111111", "00200")
    await both.channels.inbox.receive(
        Inbound(channel="sms", provider_id="x1", sender="+358401111111", body="LOPETA")
    )
    await both.channels.threader.thread_pending()
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.PLANNED,
        title="Works",
        message={"fi": "Katutöitä"},
        areas=["*"],
        starts_at=utcnow(),
        expected_end_at=None,
    )
    assert notice.id is not None
    assert (await broadcasts.send(notice.id)).queued == 0


async def test_a_large_broadcast_records_each_recipient_once(desk: Desk, both: Both) -> None:
    broadcasts = both.channels.broadcasts
    for n in range(450):
        await broadcasts.subscribe("sms", f"+35845{n:07d}", f"{n % 3:05d}", "fi")
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.EMERGENCY,
        title="Outage",
        message={"fi": "Sähkökatko"},
        areas=["00000", "00001"],
        starts_at=utcnow(),
        expected_end_at=None,
    )
    assert notice.id is not None
    assert (await broadcasts.send(notice.id)).queued == 300
    outbox = both.channels.outbox
    outbox.batch = 120  # three rounds, results recorded in several commits each
    rounds = 0
    while await outbox.send_due():
        rounds += 1
    assert rounds == 3
    recipients = [m["to"] for m in both.provider.sent]
    assert len(recipients) == len(set(recipients)) == 300
    assert await broadcasts.statuses(notice.id) == {"sent": 300}
    async with desk.db.session() as session:
        rows = (await session.exec(select(ChannelOutbox))).all()
    sent_ids = {m["id"] for m in both.provider.sent}
    assert {row.provider_id for row in rows} == sent_ids
    assert all(row.attempts == 1 and row.sent_at is not None for row in rows)


async def test_queueing_many_recipients_at_once_stays_within_parameter_limits(
    desk: Desk, both: Both
) -> None:
    """PostgreSQL takes at most 32,767 parameters a statement: 3,000 rows of 13 columns
    must not be one multi-row VALUES."""
    now = utcnow()
    rows = [
        {
            "channel": "sms",
            "address": f"+35845{n:07d}",
            "area": "00100",
            "language": "fi",
            "active": True,
            "created_at": now,
        }
        for n in range(3000)
    ]
    async with desk.db.transaction() as session:
        connection = await session.connection()
        await connection.execute(insert(Subscription), rows)
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.PLANNED,
        title="Works",
        message={"fi": "Katutöitä"},
        areas=["00100"],
        starts_at=now,
        expected_end_at=None,
    )
    assert notice.id is not None
    broadcasts = both.channels.broadcasts
    assert (await broadcasts.send(notice.id)).queued == 3000
    assert (await broadcasts.send(notice.id)).queued == 0
    assert await broadcasts.statuses(notice.id) == {"queued": 3000}
