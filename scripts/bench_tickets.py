"""Ticketing benchmark: create throughput through the REST API, then list and full-text
search latency over a large database (issue 5: 1,000,000 tickets with 3 entries each).

1. A fresh database is created and migrated (``switchboard db upgrade`` does the same):
   a SQLite file in a temporary directory, or a new database ``sb_bench_<pid>`` on the
   PostgreSQL server of ``--database-url`` (dropped afterwards unless ``--keep``).
2. The real app is served by uvicorn in a process of its own (one worker, as
   ``switchboard run`` serves it). ``--api-sample`` tickets are created through
   ``POST /api/tickets`` plus three ``POST /api/tickets/{number}/entries`` each, by
   ``--concurrency`` httpx clients; it prints tickets/s and requests/s.
3. The rest up to ``--tickets`` is bulk-loaded straight into the same tables (SQLite:
   executemany through SQLAlchemy with a 512 MB page cache, so the FTS5 triggers index
   every row; PostgreSQL: COPY, so the generated ``search`` vectors are computed and
   their GIN indexes maintained row by row), then ANALYZE (PostgreSQL: VACUUM ANALYZE,
   as autovacuum would). ``--reuse URL`` runs again on a database an earlier ``--keep``
   run left (a million tickets take long to load on a shared machine): it is migrated,
   the API sample is added and the bulk load only tops it up to ``--tickets``.
4. ``--queries`` requests each, one at a time, after 10 unmeasured warm-up requests:
   a filtered list (``status=open&team_id=T``, 50 per page, newest first) and a full-text
   search (``q=WORD``: one word of the vocabulary, drawn uniformly, 50 per page) through
   the API; it prints p50/p99/max in milliseconds (client-side, HTTP included).

Texts are made of pseudo-words from a 20,000-word vocabulary; each ticket holds about 95
words, so one query word matches roughly 0.5 % of the tickets.

Run it at the lowest priority, it is meant to share the machine:

    nice -n 19 .venv/bin/python scripts/bench_tickets.py [--tickets 1000000] \\
        [--api-sample 5000] [--queries 200] [--database-url postgresql://127.0.0.1/postgres] \\
        [--keep] [--reuse URL]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from switchboard import migrate
from switchboard.db import Database
from switchboard.settings import async_database_url
from ticketing.models import Ticket, TicketEntry

TOKEN = "bench-" + uuid.uuid4().hex
TEAMS = 20
VOCABULARY = 20_000
BATCH = 10_000
BULK_CACHE_KIB = 512 * 1024  # SQLite page cache of the bulk loader's connection
STATUSES = ("new", "open", "open", "pending", "resolved", "closed", "closed", "closed")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
KINDS = (("email", "email", "inbound", False), ("reply", "email", "outbound", False))
NOTE = ("note", "web", "internal", True)


def vocabulary(seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfghjklmnprstv" for v in "aeiouy"]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def phrase(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choices(words, k=n))


# -- the database --------------------------------------------------------------------------


def create_database(url: str | None, workdir: Path) -> tuple[str, str | None]:
    """(async URL of a fresh migrated database, PostgreSQL database name to drop)."""
    if url is None:
        fresh = async_database_url(f"sqlite:///{workdir / 'bench.db'}")
        migrate.upgrade(fresh)
        return fresh, None
    name = f"sb_bench_{os.getpid()}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    fresh = make_url(async_database_url(url)).set(database=name)
    rendered = fresh.render_as_string(hide_password=False)
    migrate.upgrade(rendered)
    return rendered, name


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


# -- the served app ----------------------------------------------------------------------


def serve(url: str, port: int, attachments: str, token: str) -> None:
    """The real app under uvicorn (runs in a process of its own)."""
    import uvicorn

    from pbx.call_log import CallLog
    from ticketing.calls import CallFiler
    from ticketing.services import build_ticketing
    from web.app import create_app
    from web.context import WebContext

    db = Database(url)
    services = build_ticketing(
        db,
        api_token=token,
        session_key="bench-session-key",
        default_region="FI",
        attachments_dir=Path(attachments),
        attachment_max_bytes=1024 * 1024,
        attachment_types=("text/plain",),
    )
    context = WebContext(
        db=db,
        api_token=token,
        calls=CallLog(db, node="bench", on_ended=CallFiler("FI")),
        tickets=services.queries,
        ticketing=services,
    )
    app = create_app(context)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the app did not start within {timeout:.0f} s")


# -- 1. through the API --------------------------------------------------------------------


async def setup_teams(client: httpx.AsyncClient) -> list[int]:
    existing = await client.get("/api/teams")
    existing.raise_for_status()
    ids = [t["id"] for t in existing.json() if t["name"].startswith("Team ")]
    if ids:  # a reused database
        return ids
    for i in range(TEAMS):
        made = await client.post("/api/teams", json={"name": f"Team {i:02d}"})
        made.raise_for_status()
        ids.append(made.json()["id"])
    return ids


async def create_through_api(
    client: httpx.AsyncClient, count: int, concurrency: int, words: list[str], teams: list[int]
) -> tuple[int, int, float]:
    """(tickets, requests, seconds)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    requests = 0

    async def worker(seed: int) -> None:
        nonlocal requests
        rng = random.Random(seed)
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            made = await client.post(
                "/api/tickets",
                json={
                    "subject": phrase(rng, words, 5),
                    "description": phrase(rng, words, 15),
                    "channel": "email",
                    "team_id": rng.choice(teams),
                    "status": rng.choice(("new", "open")),
                },
            )
            made.raise_for_status()
            number = made.json()["number"]
            for kind, _channel, _direction, _internal in (*KINDS, NOTE):
                entry = await client.post(
                    f"/api/tickets/{number}/entries",
                    json={"kind": kind, "body": phrase(rng, words, 25)},
                )
                entry.raise_for_status()
            requests += 4

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return count, requests, time.perf_counter() - started


# -- 2. straight into the tables -----------------------------------------------------------


def generate(
    first_id: int, count: int, words: list[str], teams: list[int], year: int, seed: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    rng = random.Random(seed)
    start = datetime(year - 1, 1, 1, tzinfo=UTC)
    span = int((datetime.now(UTC) - start).total_seconds())
    for base in range(first_id, first_id + count, BATCH):
        tickets, entries = [], []
        for ticket_id in range(base, min(base + BATCH, first_id + count)):
            created = start + timedelta(seconds=span * (ticket_id - first_id) // count)
            tickets.append(
                {
                    "id": ticket_id,
                    "number": f"B{year}-{ticket_id:07d}",
                    "subject": phrase(rng, words, 5),
                    "description": phrase(rng, words, 15),
                    "status": rng.choice(STATUSES),
                    "priority": rng.choice(PRIORITIES),
                    "channel": rng.choice(("phone", "email", "web", "sms")),
                    "team_id": rng.choice(teams),
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                    "sla_paused_minutes": 0.0,
                    "sla_extension_minutes": 0,
                }
            )
            for n, (kind, channel, direction, internal) in enumerate((*KINDS, NOTE)):
                entries.append(
                    {
                        "ticket_id": ticket_id,
                        "kind": kind,
                        "channel": channel,
                        "direction": direction,
                        "internal": internal,
                        "author_name": "",
                        "body": phrase(rng, words, 25),
                        "created_at": created + timedelta(minutes=n),
                    }
                )
        yield tickets, entries


async def bulk_load(db: Database, count: int, words: list[str], teams: list[int]) -> float:
    if count <= 0:
        return 0.0
    started = time.perf_counter()
    async with db.engine.connect() as conn:
        first_id = ((await conn.execute(select(func.max(Ticket.id)))).scalar() or 0) + 1
    year = datetime.now(UTC).year
    done = 0
    for tickets, entries in generate(first_id, count, words, teams, year, seed=first_id):
        async with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                raw = (await conn.get_raw_connection()).driver_connection
                assert raw is not None
                await _copy(raw, "tickets", tickets)
                await _copy(raw, "ticket_entries", entries)
            else:
                # Room for a batch's index pages: with the default 2 MB cache SQLite spills
                # them to the WAL again and again inside the transaction.
                await conn.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                await conn.execute(Ticket.__table__.insert(), tickets)  # type: ignore[attr-defined]
                await conn.execute(TicketEntry.__table__.insert(), entries)  # type: ignore[attr-defined]
        done += len(tickets)
        if done % 100_000 < BATCH:
            rate = done / (time.perf_counter() - started)
            print(f"  bulk: {done:,} tickets ({rate:,.0f}/s)", flush=True)
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            for table in ("tickets", "ticket_entries"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    # What autovacuum would do on a live server: statistics, the visibility map, and the
    # GIN pending lists merged into the indexes (a manual ANALYZE alone leaves them).
    statement = "VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"
    print(f"  {statement} ...", flush=True)
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(statement))
    return time.perf_counter() - started


async def _copy(raw: Any, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    records = [tuple(row[c] for c in columns) for row in rows]
    await raw.copy_records_to_table(table, records=records, columns=columns)


# -- 3. reading ----------------------------------------------------------------------------


async def latencies(
    client: httpx.AsyncClient, params: list[dict[str, Any]]
) -> tuple[list[float], int]:
    """Milliseconds per request (after 10 warm-up requests) and the mean page size."""
    for p in params[:10]:
        (await client.get("/api/tickets", params=p)).raise_for_status()
    times, found = [], 0
    for p in params:
        started = time.perf_counter()
        response = await client.get("/api/tickets", params=p)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        found += len(response.json()["items"])
    return times, found // max(len(params), 1)


def summary(name: str, times: list[float], page: int) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    return (
        f"{name:<22} n={len(times)}  p50={statistics.median(ordered):7.1f} ms  "
        f"p99={p99:7.1f} ms  max={ordered[-1]:7.1f} ms  (mean page {page} tickets)"
    )


# -- main ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, url: str, attachments: Path) -> None:
    words = vocabulary()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    spawn = multiprocessing.get_context("spawn")
    server = spawn.Process(target=serve, args=(url, port, str(attachments), TOKEN), daemon=True)
    server.start()
    db = Database(url)
    try:
        await wait_for(base)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, timeout=60, limits=limits
        ) as client:
            teams = await setup_teams(client)
            async with db.engine.connect() as conn:
                present = (await conn.execute(select(func.count()).select_from(Ticket))).scalar()
            sample = min(args.api_sample, args.tickets)
            made, requests, seconds = await create_through_api(
                client, sample, args.concurrency, words, teams
            )
            print(
                f"create via API         {made:,} tickets + {made * 3:,} entries in "
                f"{seconds:.1f} s: {made / seconds:,.1f} tickets/s, "
                f"{requests / seconds:,.1f} requests/s (concurrency {args.concurrency})",
                flush=True,
            )
            loaded = max(0, args.tickets - sample - (present or 0))
            seconds = await bulk_load(db, loaded, words, teams)
            if loaded:
                print(
                    f"bulk load              {loaded:,} tickets + {loaded * 3:,} entries in "
                    f"{seconds:.0f} s ({loaded / seconds:,.0f} tickets/s, incl. ANALYZE)",
                    flush=True,
                )
            async with db.engine.connect() as conn:
                total = (await conn.execute(select(func.count()).select_from(Ticket))).scalar()
                entries = (
                    await conn.execute(select(func.count()).select_from(TicketEntry))
                ).scalar()
            print(f"database               {total:,} tickets, {entries:,} entries", flush=True)
            rng = random.Random(7)
            listed = [
                {"status": "open", "team_id": rng.choice(teams), "limit": 50}
                for _ in range(args.queries)
            ]
            times, page = await latencies(client, listed)
            print(summary("filtered list", times, page), flush=True)
            searched = [{"q": rng.choice(words), "limit": 50} for _ in range(args.queries)]
            times, page = await latencies(client, searched)
            print(summary("full-text search", times, page), flush=True)
    finally:
        server.terminate()
        server.join(10)
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--api-sample", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--database-url", help="PostgreSQL server to create the bench database on (default: SQLite)"
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards")
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="Run on a database an earlier --keep run left (the bulk load only tops it up)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sb-bench-"))
    backend = make_url(args.reuse or args.database_url or "sqlite://").get_backend_name()
    print(
        f"bench_tickets: {args.tickets:,} tickets on {backend}; {platform.node()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    if args.reuse:  # a database kept by an earlier run: migrated again, topped up
        url, drop = async_database_url(args.reuse), None
        migrate.upgrade(url)
    else:
        url, drop = create_database(args.database_url, workdir)
    print(f"database               {make_url(url).render_as_string()} (migrated)", flush=True)
    try:
        asyncio.run(run(args, url, workdir / "attachments"))
    finally:
        if drop and not args.keep:
            asyncio.run(_admin(args.database_url, f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
        if args.keep or args.reuse:
            print(f"kept: {make_url(url).render_as_string()}")
        if args.reuse or not args.keep:  # a reused SQLite file lives elsewhere
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
