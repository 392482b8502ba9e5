"""An agent answers a customer on a messaging app with a file: WhatsApp and Telegram get
it uploaded, Viber and Messenger fetch it from the desk's signed, expiring link; each
app receives its own picture or document message with the agent's text where it takes
one, and the bytes the agent sent. A changed or expired link is refused with 403, and a
file the rules refuse, or a channel that cannot carry it, changes nothing."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import select

from channels.models import ChannelOutbox
from channels.service import build_channels
from channels.settings import ChannelSettings, ViberSettings
from tests.channels.app_providers import PDF, PNG, VIBER_TOKEN, Apps, messaging_apps
from tests.channels.test_media_replay import Deliver, messenger, telegram, viber, whatsapp
from tests.ticketing.conftest import Desk
from web.app import create_app

PLAN = b"\x89PNG\r\n\x1a\n" + b"repair plan" * 40


@pytest.fixture
async def apps(desk: Desk) -> AsyncIterator[Apps]:
    async with messaging_apps(desk) as apps:
        apps.files.by_name["leak.png"] = (PNG, "image/png")
        yield apps


async def customer_ticket(apps: Apps, deliver: Deliver) -> str:
    """The customer writes first (a picture of the leak): the ticket the agent answers."""
    assert (await deliver(apps)).status_code == 200
    [threaded] = await apps.channels.threader.thread_pending()
    return threaded.ticket_number


async def reply_with_file(
    apps: Apps, channel: str, number: str, name: str, data: bytes, text: str = ""
) -> httpx.Response:
    _, agent = await apps.desk.user("agent")
    return await apps.client_as(agent).post(
        f"/api/channels/{channel}/tickets/{number}/files",
        files={"file": (name, data, "application/octet-stream")},
        data={"text": text} if text else {},
    )


async def send_outbox(apps: Apps) -> None:
    await apps.channels.outbox.collect()
    assert await apps.channels.outbox.send_due() == 1


async def test_whatsapp_gets_an_uploaded_picture_with_its_caption(apps: Apps) -> None:
    number = await customer_ticket(apps, whatsapp)
    sent = await reply_with_file(apps, "whatsapp", number, "plan.png", PLAN, "The repair plan")
    assert sent.status_code == 201, sent.text
    await send_outbox(apps)
    [message] = apps.provider.sent
    media_id = message["image"]["id"]
    assert message == {
        "messaging_product": "whatsapp",
        "to": "358401234567",
        "type": "image",
        "image": {"id": media_id, "caption": "The repair plan"},
        "id": message["id"],
    }
    assert apps.files.uploads[media_id] == (PLAN, "image/png", "plan.png")
    # The reply entry carries the file on the ticket.
    ticket = await apps.ticket(number)
    reply = [e for e in await apps.entries(number) if e["kind"] == "reply"]
    assert [e["body"] for e in reply] == ["The repair plan"]
    assert [a["filename"] for a in ticket["attachments"] if a["entry_id"] == reply[0]["id"]] == [
        "plan.png"
    ]


async def test_whatsapp_gets_a_document_with_its_file_name(apps: Apps) -> None:
    number = await customer_ticket(apps, whatsapp)
    assert (await reply_with_file(apps, "whatsapp", number, "bill.pdf", PDF)).status_code == 201
    await send_outbox(apps)
    [message] = apps.provider.sent
    assert message["type"] == "document"
    media_id = message["document"]["id"]
    assert message["document"] == {"id": media_id, "filename": "bill.pdf"}
    assert apps.files.uploads[media_id] == (PDF, "application/pdf", "bill.pdf")


async def test_telegram_gets_a_photo_and_a_document_uploaded(apps: Apps) -> None:
    number = await customer_ticket(apps, telegram)
    assert (
        await reply_with_file(apps, "telegram", number, "plan.png", PLAN, "Тут план ремонту")
    ).status_code == 201
    await send_outbox(apps)
    assert (await reply_with_file(apps, "telegram", number, "bill.pdf", PDF)).status_code == 201
    await send_outbox(apps)
    photo, document = apps.provider.sent
    assert photo == {
        "method": "sendPhoto",
        "chat_id": "987654321",
        "caption": "Тут план ремонту",
        "photo": ("plan.png", PLAN, "image/png"),
    }
    assert document == {
        "method": "sendDocument",
        "chat_id": "987654321",
        "caption": None,
        "document": ("bill.pdf", PDF, "application/pdf"),
    }


async def test_viber_fetches_the_picture_from_the_signed_link(apps: Apps) -> None:
    number = await customer_ticket(apps, viber)
    assert (
        await reply_with_file(apps, "viber", number, "plan.png", PLAN, "Korjaussuunnitelma")
    ).status_code == 201
    await send_outbox(apps)
    [message] = apps.provider.sent
    assert message["type"] == "picture" and message["text"] == "Korjaussuunnitelma"
    assert message["receiver"] == "01234567890A="
    link = message["media"]
    assert link.startswith("https://desk.example/api/channels/media/")
    assert link.endswith("/plan.png")
    assert apps.files.fetched == [(link, 200, PLAN)]
    await assert_link_guarded(apps, link)


async def test_viber_gets_a_document_as_a_file_message(apps: Apps) -> None:
    number = await customer_ticket(apps, viber)
    assert (await reply_with_file(apps, "viber", number, "bill.pdf", PDF)).status_code == 201
    await send_outbox(apps)
    [message] = apps.provider.sent
    assert (message["type"], message["file_name"], message["size"]) == (
        "file",
        "bill.pdf",
        len(PDF),
    )
    assert apps.files.fetched == [(message["media"], 200, PDF)]


async def test_messenger_gets_the_text_then_the_attachment_by_link(apps: Apps) -> None:
    number = await customer_ticket(apps, messenger)
    assert (
        await reply_with_file(apps, "messenger", number, "bill.pdf", PDF, "Your bill")
    ).status_code == 201
    await send_outbox(apps)
    text, attachment = apps.provider.sent
    assert text["message"] == {"text": "Your bill"}
    assert attachment["recipient"] == {"id": "6254865817895463"}
    link = attachment["message"]["attachment"]["payload"]["url"]
    assert attachment["message"]["attachment"]["type"] == "file"
    assert apps.files.fetched == [(link, 200, PDF)]
    # Delivery receipts name the last message sent: the attachment.
    async with apps.desk.db.session() as session:
        [row] = (await session.exec(select(ChannelOutbox))).all()
    assert row.provider_id == attachment["message_id"]
    await assert_link_guarded(apps, link)


async def assert_link_guarded(apps: Apps, link: str) -> None:
    """Changing any part of a link, or using it after it expired, gets 403 and no file."""
    path = urlsplit(link).path
    attachment_id, expires, signature, name = path.removeprefix("/api/channels/media/").split("/")
    tampered = {
        "another file": f"{int(attachment_id) + 1}/{expires}/{signature}/{name}",
        "a later expiry": f"{attachment_id}/{int(expires) + 86400}/{signature}/{name}",
        "a forged signature": f"{attachment_id}/{expires}/{'0' * len(signature)}/{name}",
        "no expiry": f"{attachment_id}/soon/{signature}/{name}",
    }
    for what, changed in tampered.items():
        refused = await apps.web.get(f"/api/channels/media/{changed}")
        assert refused.status_code == 403, what
        assert refused.json() == {
            "detail": "this file link is not valid: it was changed or not made here"
        }, what
    links = apps.channels.file_replies.links
    assert links is not None
    links.clock = lambda: time.time() - 2 * 86400  # a link made two days ago
    try:
        old = urlsplit(links.url(int(attachment_id), name)).path
    finally:
        links.clock = time.time
    expired = await apps.web.get(old)
    assert expired.status_code == 403
    assert expired.json() == {"detail": "this file link has expired: ask for the file again"}


async def test_refused_files_and_channels_change_nothing(apps: Apps) -> None:
    number = await customer_ticket(apps, telegram)
    before = await apps.entries(number)
    refused_type = await reply_with_file(apps, "telegram", number, "tool.exe", b"MZ\x90\x00")
    assert refused_type.status_code == 422
    assert "files of type .exe are not accepted" in refused_type.json()["detail"]
    not_what_it_says = await reply_with_file(apps, "telegram", number, "plan.png", b"no picture")
    assert not_what_it_says.status_code == 422
    assert not_what_it_says.json()["detail"] == "the file's content is not image/png"
    no_channel = await reply_with_file(apps, "sms", number, "plan.png", PLAN)
    assert no_channel.status_code == 404
    assert no_channel.json()["detail"] == "sms is not a configured channel that takes files"
    too_long = await reply_with_file(apps, "telegram", number, "plan.png", PLAN, "x" * 4001)
    assert too_long.status_code == 422
    _, customer = await apps.desk.user("customer")
    forbidden = await apps.client_as(customer).post(
        f"/api/channels/telegram/tickets/{number}/files",
        files={"file": ("plan.png", PLAN, "image/png")},
    )
    assert forbidden.status_code == 403
    assert await apps.entries(number) == before
    await apps.channels.outbox.collect()
    assert await apps.channels.outbox.send_due() == 0
    assert apps.provider.sent == []


async def test_viber_files_need_the_desks_public_address(desk: Desk) -> None:
    settings = ChannelSettings(viber=ViberSettings(enabled=True, auth_token=VIBER_TOKEN))
    channels = build_channels(
        settings, desk.db, desk.bus, desk.services.attachments.store, signing_key="secret"
    )
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    _, agent = await desk.user("agent")
    ticket = await desk.system.post("/api/tickets", json={"subject": "Leak"})
    number = ticket.json()["number"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk", headers=agent.headers
    ) as client:
        refused = await client.post(
            f"/api/channels/viber/tickets/{number}/files",
            files={"file": ("plan.png", PLAN, "image/png")},
        )
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "viber fetches a reply's file from the desk: set channels.public_base_url"
    )
    assert (await desk.system.get(f"/api/tickets/{number}")).json()["attachments"] == []
    await channels.close()
