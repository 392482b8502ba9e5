"""Channels benchmark: sustained inbound messages per second across channels with the
receive-to-stored latency (the time until the sender has its acknowledgement, which is
given only after the commit), the time to thread them all into tickets, and the time to
deliver a works notice broadcast to many subscribers through a local provider server.

It uses a fresh database (SQLite in a temporary folder, or a new PostgreSQL database on
the server at ``--postgres``, dropped afterwards), the built-in SMTP server, the SMS
webhook of the real web app served by uvicorn, and a local HTTP server speaking the
generic SMS provider API.

    .venv/bin/python scripts/bench_channels.py [--database sqlite|postgresql|both]
        [--messages 2000] [--subscribers 100000] [--only inbound|broadcast]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

try:
    from tests.channels.providers import API_TOKEN, Provider, provider_app, serving
except ModuleNotFoundError:  # run from the checkout without an editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.channels.providers import API_TOKEN, Provider, provider_app, serving
import aiosmtplib
import httpx
import uvicorn
from sqlalchemy import insert

import pbx.models  # noqa: F401  (every table, as the composition root has them)
import ticketing.tables  # noqa: F401
from channels.models import Subscription
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, EmailSettings, SmsSettings
from channels.sms.generic import sign
from notices.models import NoticeKind
from notices.service import NoticeService
from scripts.bench_setup import backends, fresh_database, ticketing_services, web_context
from scripts.bench_stats import percentile
from switchboard.bus import LocalBus
from switchboard.db import Database
from switchboard.db_types import utcnow
from tests.channels.mail import mail
from tests.harness import free_port
from web.app import create_app

SECRET = "bench-secret"


async def main(args: argparse.Namespace) -> None:
    for backend in backends(args.database):
        async with fresh_database(backend, args.postgres, "channels") as (url, folder):
            await run(args, url, folder)


async def run(args: argparse.Namespace, url: str, folder: Path) -> None:
    db = Database(url)
    services = ticketing_services(db, folder, ["text/plain"])
    async with provider_process() as provider:
        settings = ChannelSettings(
            email=EmailSettings(enabled=True, smtp_listen_port=0),
            sms=SmsSettings(
                provider="generic",
                send_url=f"{provider}/generic/send",
                api_token=API_TOKEN,
                webhook_secret=SECRET,
                from_number="+358501110000",
            ),
            sender_limit_per_hour=1_000_000,
        )
        channels = build_channels(settings, db, LocalBus(), services.attachments.store)
        channels.outbox.batch, channels.outbox.concurrency = args.batch, args.concurrency
        context = web_context(db, services, channels)
        assert channels.smtp is not None
        await channels.smtp.start()
        try:
            async with serving(create_app(context)) as port:
                if args.only in ("", "inbound"):
                    await inbound(args, channels, port)
                if args.only in ("", "broadcast"):
                    await broadcast(args, channels, db)
        finally:
            await channels.smtp.close()
            await channels.close()
            await db.close()


@asynccontextmanager
async def provider_process() -> AsyncIterator[str]:
    """The local SMS provider served by a process of its own (its base URL), so its
    work is not counted against the sender's."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve_provider, args=(port,), daemon=True
    )
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    await client.get(url)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)  # polled: a child's readiness has no event here
            else:
                raise RuntimeError("the provider process did not start listening")
        yield url
    finally:
        process.terminate()
        process.join()


def _serve_provider(port: int) -> None:
    uvicorn.run(provider_app(Provider()), host="127.0.0.1", port=port, log_level="warning")


async def inbound(args: argparse.Namespace, channels: Channels, port: int) -> None:
    assert channels.smtp is not None
    smtp_port = channels.smtp.port
    latencies: list[float] = []
    limit = asyncio.Semaphore(args.concurrency)

    async def one_mail(n: int) -> None:
        message = mail(sender=f"r{n % 500}@example.fi", message_id=f"<bench{n}@example.fi>")
        async with limit:
            start = time.perf_counter()
            await aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port)
            latencies.append(time.perf_counter() - start)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:

        async def one_sms(n: int) -> None:
            body = json.dumps(
                {"id": f"s{n}", "from": f"+35840{n % 500:07d}", "text": "Power cut"}
            ).encode()
            headers = {"X-Signature": sign(SECRET, body), "Content-Type": "application/json"}
            async with limit:
                start = time.perf_counter()
                response = await client.post(
                    "/api/channels/sms/generic", content=body, headers=headers
                )
                assert response.status_code == 200, response.text
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(one_mail(n) if n % 2 else one_sms(n) for n in range(args.messages)))
        elapsed = time.perf_counter() - started
    print(
        f"inbound: {args.messages} messages (half email over SMTP, half SMS webhooks) "
        f"in {elapsed:.1f} s = {args.messages / elapsed:.0f} msg/s"
    )
    print(
        f"  receive-to-stored (acknowledged) p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    started = time.perf_counter()
    while await channels.threader.thread_pending(limit=1000):
        pass
    elapsed = time.perf_counter() - started
    print(f"  threaded into tickets in {elapsed:.1f} s = {args.messages / elapsed:.0f} msg/s")


async def broadcast(args: argparse.Namespace, channels: Channels, db: Database) -> None:
    """Every subscriber's SMS through the outbox to the provider, which runs in a process
    of its own; delivered counts are the outbox's own ``sent`` rows."""
    now = utcnow()
    rows = [
        {
            "channel": "sms",
            "address": f"+35845{n:07d}",
            "area": f"{n % 100:05d}",
            "language": "fi",
            "active": True,
            "created_at": now,
        }
        for n in range(args.subscribers)
    ]
    async with db.transaction() as session:
        for start in range(0, len(rows), 10_000):
            connection = await session.connection()
            await connection.execute(insert(Subscription), rows[start : start + 10_000])
    notice = await NoticeService(db).publish(
        kind=NoticeKind.EMERGENCY,
        title="Outage",
        message={"fi": "Sähkökatko koko kaupungissa"},
        areas=["*"],
        starts_at=now,
        expected_end_at=None,
    )
    assert notice.id is not None
    started = time.perf_counter()
    report = await channels.broadcasts.send(notice.id)
    queued = time.perf_counter() - started
    next_report = started + 10
    while await channels.outbox.send_due() or channels.outbox.busy:
        if time.perf_counter() >= next_report:
            next_report += 10
            sent = (await channels.broadcasts.statuses(notice.id)).get("sent", 0)
            so_far = time.perf_counter() - started
            print(f"  {sent} delivered after {so_far:.1f} s", flush=True)
    elapsed = time.perf_counter() - started
    sent = (await channels.broadcasts.statuses(notice.id)).get("sent", 0)
    print(
        f"broadcast: {report.queued} subscribers queued in {queued:.1f} s; "
        f"{sent} delivered to the provider in {elapsed:.1f} s "
        f"= {sent / elapsed:.0f} msg/s (batch {args.batch}, concurrency {args.concurrency}, "
        "no throttle)"
    )
    print(f"  statuses {await channels.broadcasts.statuses(notice.id)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch", type=int, default=1000, help="outbox rows claimed at once")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SWITCHBOARD_TEST_POSTGRES", "postgresql://127.0.0.1/postgres"),
        help="a PostgreSQL server URL with the right to create databases",
    )
    parser.add_argument("--only", choices=("", "inbound", "broadcast"), default="")
    asyncio.run(main(parser.parse_args()))
