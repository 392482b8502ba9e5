"""IMAP polling against a real Dovecot: unseen mail is stored, threaded and flagged seen;
a poll repeated after a crash before the flag stores nothing twice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from channels.email.imap import ImapPoller, PollResult
from channels.service import Channels
from channels.settings import EmailSettings
from tests.channels.dovecot import PASSWORD, USER, Dovecot, running_dovecot
from tests.channels.mail import mail
from tests.ticketing.conftest import Desk


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def poller(channels: Channels, dovecot: Dovecot) -> ImapPoller:
    settings = EmailSettings(
        enabled=True,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_ssl=False,
        imap_username=USER,
        imap_password=PASSWORD,
    )
    return ImapPoller(settings, channels.inbox)


async def test_polled_mail_is_threaded_once_and_marked_seen(
    desk: Desk, channels: Channels, dovecot: Dovecot
) -> None:
    first = mail(message_id="<imap1@example.fi>", subject="Leaking hydrant")
    await asyncio.to_thread(dovecot.append, first.as_bytes())
    await asyncio.to_thread(dovecot.append, b"not a mail at all\r\n")
    imap = poller(channels, dovecot)
    assert await imap.poll() == PollResult(stored=1, refused=1)
    [threaded] = await channels.threader.thread_pending()
    ticket = (await desk.system.get(f"/api/tickets/{threaded.ticket_number}")).json()
    assert ticket["subject"] == "Leaking hydrant" and ticket["channel"] == "email"
    flags = await asyncio.to_thread(dovecot.flags)
    assert all("\\Seen" in f for f in flags) and "$SwitchboardRefused" in flags[-1]
    assert await imap.poll() == PollResult()

    # The mailbox hands the same message over again (a crash before \Seen was stored).
    await asyncio.to_thread(dovecot.append, first.as_bytes())
    assert await imap.poll() == PollResult(duplicates=1)
    assert await channels.threader.thread_pending() == []
