"""Broadcast mail carries List-Unsubscribe (mailto and RFC 8058 one-click https) with a
signed token; the link and the mailto request end the subscriptions, a forged token
changes nothing. Mail goes through the real SMTP sink and the built-in SMTP server."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import httpx
import pytest
from sqlmodel import select

from channels.models import ChannelInbound, OptOut, Subscription
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, EmailSettings
from notices.models import NoticeKind
from notices.service import NoticeService
from switchboard.db_types import utcnow
from tests.channels.conftest import SmtpSink
from tests.ticketing.conftest import Desk
from web.app import create_app

RESIDENT = "resident@example.fi"


@dataclasses.dataclass
class Mailing:
    desk: Desk
    channels: Channels
    sink: SmtpSink
    web: httpx.AsyncClient

    async def broadcast(self, title: str) -> int:
        notice = await NoticeService(self.desk.db).publish(
            kind=NoticeKind.PLANNED,
            title=title,
            message={"en": f"{title} in 00100."},
            areas=["00100"],
            starts_at=utcnow(),
            expected_end_at=utcnow() + timedelta(hours=2),
        )
        assert notice.id is not None
        queued = (await self.channels.broadcasts.send(notice.id)).queued
        await self.channels.outbox.send_due()
        return queued

    async def state(self) -> tuple[list[OptOut], list[bool]]:
        async with self.desk.db.session() as session:
            opt_outs = list((await session.exec(select(OptOut))).all())
            active = [s.active for s in (await session.exec(select(Subscription))).all()]
        return opt_outs, active


@pytest.fixture
async def mailing(desk: Desk, sink: SmtpSink) -> AsyncIterator[Mailing]:
    settings = ChannelSettings(
        email=EmailSettings(
            enabled=True,
            address="help@desk.example",
            smtp_listen_port=0,
            relay_port=sink.port,
            public_base_url="https://desk.example",
        )
    )
    channels = build_channels(
        settings,
        desk.db,
        desk.bus,
        desk.services.attachments.store,
        signing_key="generated-for-this-test",
    )
    assert channels.smtp is not None
    await channels.smtp.start()
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://desk.example"
        ) as web:
            await channels.broadcasts.subscribe("email", RESIDENT, "00100", "fi")
            yield Mailing(desk, channels, sink, web)
    finally:
        await channels.smtp.close()
        await channels.close()


def links(mail: EmailMessage) -> tuple[str, str]:
    """The mailto: and https: links of List-Unsubscribe."""
    found = re.findall(r"<([^>]+)>", str(mail["List-Unsubscribe"]))
    mailto = next(u for u in found if u.startswith("mailto:"))
    https = next(u for u in found if u.startswith("https:"))
    return mailto, https


async def test_one_click_unsubscribe_and_a_forged_token(mailing: Mailing) -> None:
    assert await mailing.broadcast("Water works") == 1
    [mail] = mailing.sink.messages
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _, https = links(mail)
    path = urlsplit(https).path
    assert https.startswith("https://desk.example/api/channels/unsubscribe/")

    payload, _, signature = path.rsplit("/", 1)[1].partition(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for forged in (f"{forged_payload}.{signature}", "nonsense", f"{payload}.{signature[::-1]}"):
        answer = await mailing.web.post(
            f"/api/channels/unsubscribe/{forged}", content=b"List-Unsubscribe=One-Click"
        )
        assert answer.status_code == 400, forged
        assert "not valid" in answer.text
    assert await mailing.state() == ([], [True])

    page = await mailing.web.get(path, params={"lang": "fi"})  # what a link scanner fetches
    assert page.status_code == 200 and RESIDENT in page.text and "Peru tilaus" in page.text
    assert await mailing.state() == ([], [True])

    answer = await mailing.web.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and RESIDENT in answer.text
    opt_outs, active = await mailing.state()
    assert [(o.channel, o.address) for o in opt_outs] == [("email", RESIDENT)]
    assert active == [False]
    assert await mailing.broadcast("More works") == 0
    assert len(mailing.sink.messages) == 1


async def test_the_mailto_link_unsubscribes_and_opens_no_ticket(mailing: Mailing) -> None:
    await mailing.broadcast("Water works")
    [mail] = mailing.sink.messages
    mailto, _ = links(mail)
    target = urlsplit(mailto)
    assert target.path == "help@desk.example"
    request = EmailMessage()
    request["From"] = RESIDENT
    request["To"] = target.path
    request["Subject"] = unquote(parse_qs(target.query)["subject"][0])
    request["Message-ID"] = "<unsub-1@example.fi>"
    request.set_content("")
    assert mailing.channels.smtp is not None
    await aiosmtplib.send(request, hostname="127.0.0.1", port=mailing.channels.smtp.port)
    assert await mailing.channels.threader.thread_pending() == []
    async with mailing.desk.db.session() as session:
        [stored] = (await session.exec(select(ChannelInbound))).all()
    assert stored.status == "ignored" and stored.reason == "unsubscribe request"
    opt_outs, active = await mailing.state()
    assert [o.address for o in opt_outs] == [RESIDENT] and active == [False]
    assert (await mailing.desk.system.get("/api/tickets")).json()["items"] == []
