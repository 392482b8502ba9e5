"""Works notices over the messaging apps residents subscribed with: WhatsApp through the
business's approved template (free text would be refused outside 24 hours), Telegram
and Viber as bot messages; each checked at the local provider server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from channels.broadcast import Broadcasts
from channels.models import ChannelOutbox
from notices.models import NoticeKind
from notices.service import NoticeService
from switchboard.db_types import utcnow
from tests.channels.app_providers import messaging_apps
from tests.ticketing.conftest import Desk
from ticketing.errors import InvalidInput

VIBER_USER = "01234567890A="


async def _notice(desk: Desk) -> int:
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.PLANNED,
        title="Electricity works",
        message={"fi": "Sähkökatko 00100 klo 9-12.", "uk": "Відключення світла 00100 9-12."},
        areas=["00100"],
        starts_at=utcnow(),
        expected_end_at=utcnow() + timedelta(hours=3),
    )
    assert notice.id is not None
    return notice.id


async def test_a_notice_reaches_whatsapp_telegram_and_viber_subscribers(desk: Desk) -> None:
    async with messaging_apps(desk) as apps:
        broadcasts = apps.channels.broadcasts
        await broadcasts.subscribe("whatsapp", "040 555 5555", "00100", "fi")
        await broadcasts.subscribe("telegram", "987654321", "00100", "uk")
        await broadcasts.subscribe("viber", VIBER_USER, "*", "fi")
        with pytest.raises(InvalidInput, match="not messenger"):
            await broadcasts.subscribe("messenger", "1234567890", "00100", "fi")
        notice_id = await _notice(desk)
        assert (await broadcasts.send(notice_id)).queued == 3
        assert await apps.channels.outbox.send_due() == 3
        assert await broadcasts.statuses(notice_id) == {"sent": 3}

        sent = apps.provider.sent
        whatsapp = next(m for m in sent if m.get("messaging_product") == "whatsapp")
        assert whatsapp["to"] == "358405555555" and whatsapp["type"] == "template"
        assert whatsapp["template"] == {
            "name": "works_notice",
            "language": {"code": "fi"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Sähkökatko 00100 klo 9-12."}],
                }
            ],
        }
        telegram = next(m for m in sent if "chat_id" in m)
        assert telegram == {"chat_id": "987654321", "text": "Відключення світла 00100 9-12."}
        viber = next(m for m in sent if m.get("receiver") == VIBER_USER)
        assert viber["text"] == "Sähkökatko 00100 klo 9-12."


async def test_a_template_the_provider_does_not_know_fails_that_recipient_only(
    desk: Desk,
) -> None:
    async with messaging_apps(desk) as apps:
        apps.channels.adapters["whatsapp"].settings.notice_template = "withdrawn"
        broadcasts = apps.channels.broadcasts
        await broadcasts.subscribe("whatsapp", "040 555 5555", "00100", "fi")
        await broadcasts.subscribe("telegram", "987654321", "00100", "fi")
        notice_id = await _notice(desk)
        await broadcasts.send(notice_id)
        await apps.channels.outbox.send_due()
        assert await broadcasts.statuses(notice_id) == {"failed": 1, "sent": 1}
        async with desk.db.session() as session:
            failed = (
                await session.exec(select(ChannelOutbox).where(ChannelOutbox.channel == "whatsapp"))
            ).one()
        assert "Template name does not exist" in failed.last_error


async def test_apps_that_cannot_send_notices_take_no_subscriptions(desk: Desk) -> None:
    # WhatsApp without an approved template, and apps that are not configured
    broadcasts = Broadcasts(desk.db, "FI", messaging=["telegram"])
    assert broadcasts.channels == ("sms", "email", "telegram")
    with pytest.raises(InvalidInput, match="broadcasts go by sms, email, telegram here"):
        await broadcasts.subscribe("whatsapp", "040 555 5555", "00100", "fi")
    await broadcasts.subscribe("telegram", "987654321", "00100", "fi")
