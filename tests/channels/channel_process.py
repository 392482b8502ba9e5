"""A channels process for crash tests: the built-in SMTP server, threader and outbox over
a database, as ``switchboard up`` runs them. Prints its SMTP port, then runs until killed.

    python -m tests.channels.channel_process DATABASE_URL ATTACHMENTS_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pbx.models  # noqa: F401  (every table, as the composition root has them)
import ticketing.tables  # noqa: F401
from channels.service import build_channels
from channels.settings import ChannelSettings, EmailSettings
from switchboard.bus import LocalBus
from switchboard.db import Database
from ticketing.attachments import AttachmentStore


async def main(url: str, attachments: Path) -> None:
    db = Database(url)
    store = AttachmentStore(attachments, 1024 * 1024, frozenset({"text/plain"}))
    settings = ChannelSettings(email=EmailSettings(enabled=True, smtp_listen_port=0))
    channels = build_channels(settings, db, LocalBus(), store)
    assert channels.smtp is not None
    await channels.smtp.start()
    print(channels.smtp.port, flush=True)
    await channels.run_workers()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
