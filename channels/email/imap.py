"""Polling an existing mailbox over IMAP. Each unseen message is stored through the inbox
first and flagged ``\\Seen`` only after the commit; a crash in between fetches it again,
and the inbox recognises it (same Message-ID, or the same bytes). A message we cannot
read at all is flagged ``$SwitchboardRefused`` and seen, so it is not fetched forever.

The standard library's imaplib does the protocol; it is blocking, so every session runs
in a worker thread and the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
from dataclasses import dataclass

from channels.email.parse import MailRejected, parse_mail
from channels.inbox import Inbox
from channels.settings import EmailSettings
from switchboard.workers import keep_working

log = logging.getLogger(__name__)
REFUSED_FLAG = "$SwitchboardRefused"
BATCH = 50


@dataclass(frozen=True)
class PollResult:
    stored: int = 0
    duplicates: int = 0
    refused: int = 0


class ImapPoller:
    def __init__(self, settings: EmailSettings, inbox: Inbox) -> None:
        self.settings = settings
        self.inbox = inbox

    async def run(self) -> None:
        await keep_working(self._round, what="polling IMAP", every=self.settings.imap_interval)

    async def _round(self) -> None:
        try:
            await self.poll()
        except (OSError, imaplib.IMAP4.error) as exc:  # the server away: said briefly
            log.warning("IMAP poll of %s failed: %s", self.settings.imap_host, exc)

    async def poll(self) -> PollResult:
        mailbox = await asyncio.to_thread(self._open)
        stored = duplicates = refused = 0
        try:
            uids = await asyncio.to_thread(self._unseen, mailbox)
            for uid in uids[:BATCH]:
                raw = await asyncio.to_thread(self._fetch, mailbox, uid)
                try:
                    message = parse_mail(raw)
                except MailRejected as exc:
                    log.info("IMAP message %s refused: %s", uid.decode(), exc)
                    await asyncio.to_thread(self._flag, mailbox, uid, f"(\\Seen {REFUSED_FLAG})")
                    refused += 1
                    continue
                received = await self.inbox.receive(message)  # committed before \Seen
                await asyncio.to_thread(self._flag, mailbox, uid, "(\\Seen)")
                duplicates += received.duplicate
                stored += not received.duplicate
        finally:
            await asyncio.to_thread(_logout, mailbox)
        return PollResult(stored, duplicates, refused)

    def _open(self) -> imaplib.IMAP4:
        s = self.settings
        kind = imaplib.IMAP4_SSL if s.imap_ssl else imaplib.IMAP4
        mailbox = kind(s.imap_host, s.imap_port, timeout=30)
        mailbox.login(s.imap_username, s.imap_password)
        status, _ = mailbox.select(_quoted(s.imap_folder))
        if status != "OK":
            _logout(mailbox)
            raise imaplib.IMAP4.error(f"cannot open folder {s.imap_folder}")
        return mailbox

    @staticmethod
    def _unseen(mailbox: imaplib.IMAP4) -> list[bytes]:
        status, data = mailbox.uid("SEARCH", "UNSEEN")
        if status != "OK" or not data or not data[0]:
            return []
        return list(data[0].split())

    @staticmethod
    def _fetch(mailbox: imaplib.IMAP4, uid: bytes) -> bytes:
        status, data = mailbox.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        for item in data or []:
            if status == "OK" and isinstance(item, tuple):
                return bytes(item[1])
        return b""

    @staticmethod
    def _flag(mailbox: imaplib.IMAP4, uid: bytes, flags: str) -> None:
        mailbox.uid("STORE", uid.decode(), "+FLAGS", flags)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(mailbox: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        mailbox.logout()
