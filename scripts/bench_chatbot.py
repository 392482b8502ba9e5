"""Chatbot benchmark: how long the bot takes to answer a visitor's question from the
knowledge base (full-text candidates, ranking) with many articles and FAQ entries, over
the real chat websocket served by uvicorn, on a fresh database (SQLite in a temporary
folder, or a new PostgreSQL database on the server at ``--postgres``, dropped afterwards).

    .venv/bin/python scripts/bench_chatbot.py [--database sqlite|postgresql|both]
        [--articles 2000] [--questions 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

try:
    from tests.channels.providers import serving
except ModuleNotFoundError:  # run from the checkout without an editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.channels.providers import serving
import websockets

import pbx.models  # noqa: F401  (every table, as the composition root has them)
import ticketing.tables  # noqa: F401
from channels.chat.bot import enable_chatbot
from channels.service import build_channels
from channels.settings import ChannelSettings, ChatSettings
from knowledge.service import ArticleInput, FaqInput, KnowledgeService
from scripts.bench_setup import backends, fresh_database, ticketing_services, web_context
from scripts.bench_stats import percentile
from switchboard.bus import LocalBus
from switchboard.db import Database
from ticketing.access.roles import SYSTEM
from web.app import create_app

TOPICS = ["water", "bill", "leak", "meter", "sewer", "pipe", "invoice", "street", "light", "road"]
THINGS = ["repair", "payment", "reading", "outage", "permit", "cleaning", "pressure", "quality"]


async def main(args: argparse.Namespace) -> None:
    for backend in backends(args.database):
        async with fresh_database(backend, args.postgres, "chatbot") as (url, folder):
            await run(args, url, folder)


async def run(args: argparse.Namespace, url: str, folder: Path) -> None:
    db = Database(url)
    services = ticketing_services(db, folder, ["image/png"])
    knowledge = KnowledgeService(db)
    started = time.perf_counter()
    for n in range(args.articles):
        topic, thing = TOPICS[n % len(TOPICS)], THINGS[(n // len(TOPICS)) % len(THINGS)]
        title = f"{topic} {thing} guide {n}"
        body = f"How to handle {topic} {thing} number {n}. " + "Some more words here. " * 30
        await knowledge.create_article(SYSTEM, ArticleInput(title=title, body=body, language="en"))
        if n % 4 == 0:
            await knowledge.create_faq(
                SYSTEM,
                FaqInput(questions=[f"What about {topic} {thing} {n}?"], answer="See the guide.",
                         language="en"),
            )  # fmt: skip
    print(f"knowledge base: {args.articles} articles, {args.articles // 4} FAQ entries "
          f"written in {time.perf_counter() - started:.1f} s")  # fmt: skip
    channels = build_channels(
        ChannelSettings(chat=ChatSettings(enabled=True)),
        db,
        LocalBus(),
        services.attachments.store,
        chat_secret="bench",
    )
    assert channels.chat is not None
    enable_chatbot(channels.chat, knowledge, services.streets)
    context = web_context(db, services, channels)
    latencies: list[float] = []
    answered = 0
    async with serving(create_app(context)) as port:
        uri = f"ws://127.0.0.1:{port}/api/channels/chat/ws"
        async with websockets.connect(uri) as socket:
            await socket.send(json.dumps({"type": "hello", "name": "B", "email": "b@example.org"}))
            await socket.recv()
            await socket.recv()  # the greeting
            begun = time.perf_counter()
            for n in range(args.questions):
                topic, thing = TOPICS[n % len(TOPICS)], THINGS[(n * 7) % len(THINGS)]
                question = f"How do I handle {topic} {thing}?"
                sent = time.perf_counter()
                await socket.send(json.dumps({"type": "message", "id": f"q{n}", "text": question}))
                await socket.recv()  # ack
                answer = json.loads(await socket.recv())
                latencies.append((time.perf_counter() - sent) * 1000)
                answered += "article" in answer or answer["text"] == "See the guide."
            elapsed = time.perf_counter() - begun
    print(
        f"questions: {args.questions}, answered from the knowledge base: {answered}, "
        f"{args.questions / elapsed:.0f} answers/s on one socket"
    )
    print(
        f"question -> answer over the websocket: p50 {percentile(latencies, 50):.1f} ms, "
        f"p95 {percentile(latencies, 95):.1f} ms, max {max(latencies):.1f} ms"
    )
    await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
