"""The built-in SMTP server for inbound mail (aiosmtpd), on the running event loop.

``250`` is answered only after the message is committed by the inbox; a database fault
answers ``451`` (try again later), so the sending server keeps the message. A sender
dropping mid-message never reaches DATA's end: nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.parse import MailRejected, parse_mail
from channels.inbox import Inbox

log = logging.getLogger(__name__)


class InboundMailHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            message = parse_mail(raw)
        except MailRejected as exc:
            log.info("refused mail from %s: %s", session.peer, exc)
            return f"550 5.6.0 {exc}"
        try:
            received = await self.inbox.receive(message)
        except Exception:
            log.exception("could not store mail %s", message.provider_id)
            return "451 4.3.0 temporary failure, try again later"
        if received.duplicate:
            return "250 2.0.0 already received"
        return f"250 2.0.0 stored as {received.inbound_id}"


class SmtpServer:
    def __init__(self, inbox: Inbox, host: str, port: int, max_bytes: int) -> None:
        self.handler = InboundMailHandler(inbox)
        self.host, self.port, self.max_bytes = host, port, max_bytes
        self._server: asyncio.Server | None = None

    def _protocol(self) -> Any:
        return SMTP(
            self.handler,
            data_size_limit=self.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.host,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def serve(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()
