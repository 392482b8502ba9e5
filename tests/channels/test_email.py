"""Email end to end: real SMTP in (the built-in server), threading, replies out over
real SMTP to a sink, loop protection, hostile and malformed input."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from sqlmodel import select

from channels.models import ChannelInbound, ChannelOutbox, InboundStatus, OutboxStatus
from channels.service import Channels
from tests.channels.conftest import SmtpSink, eventually
from tests.channels.mail import deliver, mail
from tests.ticketing.conftest import PNG_HEADER, Desk
from web.app import create_app


async def inbound_rows(desk: Desk) -> list[ChannelInbound]:
    async with desk.db.session() as session:
        return list((await session.exec(select(ChannelInbound))).all())


async def entries(desk: Desk, number: str) -> list[dict[str, Any]]:
    response = await desk.system.get(f"/api/tickets/{number}/entries")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def reply(desk: Desk, number: str, body: str, channel: str = "email") -> None:
    made = await desk.system.post(
        f"/api/tickets/{number}/entries", json={"kind": "reply", "body": body, "channel": channel}
    )
    assert made.status_code == 201, made.text


async def flush(channels: Channels) -> None:
    await channels.threader.thread_pending()
    await channels.outbox.collect()
    await channels.outbox.send_due()


async def test_a_mail_opens_a_ticket_and_the_agent_reply_threads_back(
    desk: Desk, channels: Channels, sink: SmtpSink
) -> None:
    assert channels.smtp is not None
    code, text = await deliver(channels.smtp.port, mail())
    assert code == 250 and "stored" in text
    async with desk.bus.subscribe("channel.*") as events:
        [threaded] = await channels.threader.thread_pending()
        event = await anext(events)
    assert event.data["ticket"] == threaded.ticket_number and threaded.new_ticket
    number = threaded.ticket_number
    ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["channel"] == "email" and ticket["subject"] == "No water on Kotikatu"
    [entry] = await entries(desk, number)
    assert entry["kind"] == "email" and "dry since the morning" in entry["body"]
    found = await desk.system.get(
        "/api/contacts/lookup", params={"kind": "email", "value": "MAIJA@example.fi"}
    )
    assert found.status_code == 200 and found.json()["display_name"] == "Maija Meikäläinen"

    await reply(desk, number, "A crew is on its way.")
    await channels.outbox.collect()
    assert await channels.outbox.send_due() == 1
    [sent] = sink.messages
    assert sent["To"] == "maija@example.fi"
    assert sent["Subject"] == f"Re: No water on Kotikatu [#{number}]"
    assert sent["In-Reply-To"] == "<m1@example.fi>"
    assert "<m1@example.fi>" in sent["References"]
    assert sent["Auto-Submitted"] == "auto-replied"
    assert "A crew is on its way." in sent.get_content()
    assert f"Your request number is {number}" in sent.get_content()

    # The customer answers the reply: In-Reply-To names our Message-ID.
    answer = mail(
        subject=str(sent["Subject"]),
        body="Thanks!",
        message_id="<m2@example.fi>",
        In_Reply_To=str(sent["Message-ID"]),
    )
    assert (await deliver(channels.smtp.port, answer))[0] == 250
    [again] = await channels.threader.thread_pending()
    assert again.ticket_number == number and not again.new_ticket
    assert [e["kind"] for e in await entries(desk, number)] == ["email", "reply", "email"]


async def test_the_ticket_number_in_the_subject_threads_only_for_its_own_contact(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    await deliver(channels.smtp.port, mail())
    [first] = await channels.threader.thread_pending()
    number = first.ticket_number
    by_number = mail(subject=f"About [#{number}]", message_id="<m3@example.fi>")
    stranger = mail(
        sender="mallory@example.com", subject=f"Re: [#{number}]", message_id="<x@example.com>"
    )
    await deliver(channels.smtp.port, by_number)
    await deliver(channels.smtp.port, stranger)
    threaded = await channels.threader.thread_pending()
    assert [t.ticket_number == number for t in threaded] == [True, False]


async def test_the_same_mail_twice_is_stored_and_threaded_once(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    assert (await deliver(channels.smtp.port, mail()))[0] == 250
    code, text = await deliver(channels.smtp.port, mail())
    assert code == 250 and "already received" in text
    await channels.threader.thread_pending()
    assert len(await inbound_rows(desk)) == 1
    assert len((await desk.system.get("/api/tickets")).json()["items"]) == 1


async def test_auto_replies_bulk_mail_and_floods_never_open_tickets(
    desk: Desk, channels: Channels, sink: SmtpSink
) -> None:
    assert channels.smtp is not None
    await deliver(channels.smtp.port, mail(message_id="<a1@x>", Auto_Submitted="auto-replied"))
    await deliver(channels.smtp.port, mail(message_id="<a2@x>", Precedence="bulk"))
    for n in range(7):  # the limit in these tests is 5 an hour per sender
        await deliver(channels.smtp.port, mail(sender="flood@example.com", message_id=f"<f{n}@x>"))
    await flush(channels)
    rows = await inbound_rows(desk)
    ignored = [r.reason.split(" (")[0].split(":")[0] for r in rows if r.status == "ignored"]
    assert ignored == ["automatic message", "automatic message", "rate limit", "rate limit"]
    tickets = (await desk.system.get("/api/tickets")).json()["items"]
    assert len(tickets) == 5  # the flood's first five, each a new conversation
    assert sink.messages == []


async def test_hostile_html_is_sanitised_and_its_script_never_reaches_the_thread(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    message = mail(body="")
    message.set_content(
        '<p onclick="steal()">Meter <b>broken</b><script>alert("x")</script>'
        '<a href="javascript:evil()">click</a><a href="https://ok.example/">ok</a>'
        '<img src="https://tracker.example/p.gif"><style>p{}</style></p>',
        subtype="html",
    )
    await deliver(channels.smtp.port, message)
    [threaded] = await channels.threader.thread_pending()
    [row] = await inbound_rows(desk)
    assert "script" not in row.html and "alert" not in row.html and "onclick" not in row.html
    assert "javascript" not in row.html and "tracker" not in row.html
    assert '<a href="https://ok.example/" rel="nofollow noopener">ok</a>' in row.html
    [entry] = await entries(desk, threaded.ticket_number)
    assert "Meter broken" in entry["body"] and "alert" not in entry["body"]
    traffic = await desk.system.get(f"/api/tickets/{threaded.ticket_number}/channel-messages")
    [shown] = traffic.json()["inbound"]
    assert shown["html"] == row.html and shown["status"] == "threaded"
    _, customer = await desk.user("customer")
    refused = await customer.get(f"/api/tickets/{threaded.ticket_number}/channel-messages")
    assert refused.status_code == 403


async def test_attachments_are_kept_and_refused_ones_are_named_on_the_entry(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    message = mail()
    message.add_attachment(
        PNG_HEADER + b"image", maintype="image", subtype="png", filename="meter.png"
    )
    message.add_attachment(
        b"x" * (65 * 1024), maintype="text", subtype="plain", filename="huge.txt"
    )
    message.add_attachment(
        b"MZ...", maintype="application", subtype="octet-stream", filename="invoice.exe"
    )
    assert (await deliver(channels.smtp.port, message))[0] == 250
    [threaded] = await channels.threader.thread_pending()
    ticket = (await desk.system.get(f"/api/tickets/{threaded.ticket_number}")).json()
    assert [a["filename"] for a in ticket["attachments"]] == ["meter.png"]
    assert ticket["attachments"][0]["entry_id"] == threaded.entry_id
    [entry] = await entries(desk, threaded.ticket_number)
    assert "huge.txt" in entry["body"] and "invoice.exe" in entry["body"]


async def test_a_reply_with_a_file_goes_out_as_an_attachment_of_the_threaded_mail(
    desk: Desk, channels: Channels, sink: SmtpSink
) -> None:
    assert channels.smtp is not None
    assert (await deliver(channels.smtp.port, mail(body="Send me the repair plan")))[0] == 250
    [threaded] = await channels.threader.thread_pending()
    number = threaded.ticket_number
    _, agent = await desk.user("agent")
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    desk_with_mail = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk", headers=agent.headers
    )
    desk.clients.append(desk_with_mail)
    plan = b"%PDF-1.4\n" + b"repair plan " * 200
    sent_file = await desk_with_mail.post(
        f"/api/channels/email/tickets/{number}/files",
        files={"file": ("repair plan.pdf", plan, "application/pdf")},
        data={"text": "Here is the plan for Kotikatu."},
    )
    assert sent_file.status_code == 201, sent_file.text
    await channels.outbox.collect()
    assert await channels.outbox.send_due() == 1
    [sent] = sink.messages
    assert sent["Subject"] == f"Re: No water on Kotikatu [#{number}]"
    assert sent["In-Reply-To"] == "<m1@example.fi>"
    text = sent.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "Here is the plan for Kotikatu." in content and "Attached: repair plan.pdf" in content
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "repair plan.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == plan
    # A file the rules refuse is sent nowhere and leaves the ticket as it was.
    refused = await desk_with_mail.post(
        f"/api/channels/email/tickets/{number}/files",
        files={"file": ("tool.exe", b"MZ...", "application/octet-stream")},
    )
    assert refused.status_code == 422
    assert [e["kind"] for e in await entries(desk, number)] == ["email", "reply"]
    await channels.outbox.collect()
    assert await channels.outbox.send_due() == 0


async def test_malformed_mail_is_refused_or_kept_with_its_problems(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    code, text = await deliver(channels.smtp.port, b"\x00\xff garbage without headers\r\n")
    assert code == 550 and "sender" in text
    broken = (
        b"From: a@example.fi\r\nSubject: broken\r\nMessage-ID: <b@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notbase64"
    )
    assert (await deliver(channels.smtp.port, broken))[0] == 250
    [threaded] = await channels.threader.thread_pending()
    [row] = await inbound_rows(desk)
    assert row.meta.get("problems") and threaded.ticket_number


async def test_oversized_mail_and_dropped_connections_store_nothing(
    desk: Desk, channels: Channels
) -> None:
    assert channels.smtp is not None
    code, _ = await deliver(channels.smtp.port, mail(body="x" * (300 * 1024)))
    assert code == 552
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", channels.smtp.port)
    for line in (b"HELO x", b"MAIL FROM:<a@example.fi>", b"RCPT TO:<help@desk.example>", b"DATA"):
        await reader.readline()
        writer.write(line + b"\r\n")
    await reader.readline()
    writer.write(b"From: a@example.fi\r\nSubject: half\r\n\r\nhalf a mess")
    await writer.drain()
    writer.close()  # gone before the final dot
    await writer.wait_closed()
    assert await inbound_rows(desk) == []


async def test_replies_are_retried_with_backoff_and_failures_show_on_the_ticket(
    desk: Desk, channels: Channels, sink: SmtpSink
) -> None:
    assert channels.smtp is not None
    await deliver(channels.smtp.port, mail())
    [threaded] = await channels.threader.thread_pending()
    number = threaded.ticket_number
    sink.refuse = "451 4.3.0 try later"
    await reply(desk, number, "First answer")
    await channels.outbox.collect()
    assert await channels.outbox.send_due() == 0

    async def row() -> ChannelOutbox:
        async with desk.db.session() as session:
            found = (await session.exec(select(ChannelOutbox))).one()
            return found

    first = await row()
    assert first.status == OutboxStatus.QUEUED and first.attempts == 1 and "451" in first.last_error
    sink.refuse = ""
    await eventually(lambda: channels.outbox.send_due(), what="the retry after the backoff")
    assert (await row()).status == OutboxStatus.SENT and len(sink.messages) == 1

    sink.refuse = "550 5.1.1 no such mailbox"
    await reply(desk, number, "Second answer")
    await channels.outbox.collect()
    await channels.outbox.send_due()
    events = [e for e in await entries(desk, number) if e["kind"] == "event"]
    assert len(events) == 1 and "550" in events[0]["body"] and events[0]["internal"]
    traffic = (await desk.system.get(f"/api/tickets/{number}/channel-messages")).json()
    assert [(o["status"], o["attempts"]) for o in traffic["outbound"]] == [
        ("sent", 2),
        ("failed", 1),
    ]
    customer_view = {r.status for r in await inbound_rows(desk)}
    assert customer_view == {InboundStatus.THREADED}


async def test_replies_use_the_configured_language_template(desk: Desk, sink: SmtpSink) -> None:
    from channels.service import build_channels
    from tests.channels.conftest import channel_settings

    built = build_channels(
        channel_settings(sink.port, language="fi"),
        desk.db,
        desk.bus,
        desk.services.attachments.store,
    )
    assert built.smtp is not None
    await built.smtp.start()
    try:
        await deliver(built.smtp.port, mail(subject="Vesikatko"))
        [threaded] = await built.threader.thread_pending()
        await reply(desk, threaded.ticket_number, "Korjaus on käynnissä.")
        await built.outbox.collect()
        await built.outbox.send_due()
    finally:
        await built.smtp.close()
    [sent] = sink.messages
    assert sent["Subject"] == f"Vs: Vesikatko [#{threaded.ticket_number}]"
    assert sent["Content-Language"] == "fi"
    assert "Ystävällisin terveisin" in sent.get_content()


async def test_a_bounce_of_a_reply_fails_it_on_the_ticket(
    desk: Desk, channels: Channels, sink: SmtpSink
) -> None:
    assert channels.smtp is not None
    await deliver(channels.smtp.port, mail())
    [threaded] = await channels.threader.thread_pending()
    await reply(desk, threaded.ticket_number, "We are on it.")
    await channels.outbox.collect()
    await channels.outbox.send_due()
    [sent] = sink.messages
    report = (
        "From: MAILER-DAEMON@mx.example.fi\r\nTo: help@desk.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.fi\r\n\r\n"
        "Final-Recipient: rfc822; maija@example.fi\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {sent['Message-ID']}\r\nSubject: {sent['Subject']}\r\n\r\n--b--\r\n"
    ).encode()
    assert (await deliver(channels.smtp.port, report))[0] == 250
    assert await channels.threader.thread_pending() == []
    traffic = (
        await desk.system.get(f"/api/tickets/{threaded.ticket_number}/channel-messages")
    ).json()
    [outbound] = traffic["outbound"]
    assert outbound["status"] == "failed" and "user unknown" in outbound["last_error"]
    events = [e for e in await entries(desk, threaded.ticket_number) if e["kind"] == "event"]
    assert len(events) == 1 and "user unknown" in events[0]["body"]
    assert len((await desk.system.get("/api/tickets")).json()["items"]) == 1
