"""The chatbot's conversations outlive the web process: a visitor half-way through
registering a request when the web app restarts carries on where they were, and the
request holds every answer, from before the restart and after it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import websockets

from channels.chat.adapter import ChatAdapter
from channels.chat.conversation_store import KEEP_DAYS
from channels.models import ChatConversation
from switchboard.db_types import utcnow
from tests.channels.providers import serving
from tests.channels.test_chatbot import PHOTO, ask, chatbot_app, frame, send_file
from tests.ticketing.conftest import Desk
from ticketing.access.roles import SYSTEM
from ticketing.streets import StreetRow


@asynccontextmanager
async def web_process(desk: Desk) -> AsyncIterator[str]:
    """A web app with the chatbot, built from nothing but the settings and the database,
    served until the block ends; its websocket URL."""
    _, app = chatbot_app(desk)
    async with serving(app) as port:
        yield f"ws://127.0.0.1:{port}/api/channels/chat/ws"


async def join(url: str, hello: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    socket = await websockets.connect(url, max_size=None)
    await socket.send(json.dumps({"type": "hello", **hello}))
    ready = await frame(socket)
    assert ready["type"] == "ready", ready
    greeting = await frame(socket)
    assert greeting["from"] == "bot"
    return socket, ready


async def test_a_request_half_registered_survives_a_restart_of_the_web_app(desk: Desk) -> None:
    water = await desk.system.post("/api/categories", json={"code": "WATER", "name": "Water"})
    await desk.system.post("/api/categories", json={"code": "ROADS", "name": "Roads"})
    await desk.services.streets.import_rows(
        SYSTEM,
        [
            StreetRow(1, "Mannerheimintie", "00100", "Helsinki"),
            StreetRow(2, "Mannerheimintie", "00250", "Helsinki"),
        ],
    )
    async with web_process(desk) as url:
        socket, ready = await join(
            url, {"name": "Mikko", "email": "mikko@example.fi", "language": "fi"}
        )
        asked = await ask(socket, "Haluan ilmoittaa vuodosta", "r1")
        assert asked["text"].endswith("1. Roads\n2. Water")
        await ask(socket, "2", "r2")
        picked = await ask(socket, "Mannerheimintie 12 B", "r3")
        assert "2. Mannerheimintie, 00250 Helsinki" in picked["text"]
        await socket.close()

    # A new web process on the same database: the visitor's page reconnects with its token.
    async with web_process(desk) as url:
        socket, ready = await join(url, {"token": ready["token"], "language": "fi"})
        assert ready["language"] == "fi" and ready["history"] == []
        # The street choice offered before the restart is still the question.
        assert (await ask(socket, "2", "r4"))["text"] == "Kuvaile ongelma."
        # A message whose acknowledgement was lost before the restart: the same answer.
        assert (await ask(socket, "Mannerheimintie 12 B", "r3"))["text"] == picked["text"]
        assert (await ask(socket, "Vesi valuu kadulle", "r5"))["text"].startswith(
            "Voit nyt lähettää kuvan"
        )
        await socket.close()

    # And again, between the description and the photo.
    async with web_process(desk) as url:
        socket, _ = await join(url, {"token": ready["token"], "language": "fi"})
        assert await send_file(socket, "vuoto.png", PHOTO, "r6") == {"type": "ack", "id": "r6"}
        filed = await frame(socket)
        number = filed["ticket"]
        assert filed["text"] == f"Kiitos. Ilmoituksesi on kirjattu; sen numero on {number}."
        await socket.close()

    ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["category_id"] == water.json()["id"]
    assert ticket["subject"] == "Vesi valuu kadulle"
    [address] = ticket["addresses"]
    assert (address["street"], address["postal_code"]) == ("Mannerheimintie 12 B", "00250")
    assert [a["filename"] for a in ticket["attachments"]] == ["vuoto.png"]
    [entry] = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
    transcript = entry["body"].split("Conversation with the chatbot:\n", 1)[1].splitlines()
    visitor_said = [line for line in transcript if line.startswith("Visitor: ")]
    assert visitor_said == [
        "Visitor: Haluan ilmoittaa vuodosta",
        "Visitor: 2",
        "Visitor: Mannerheimintie 12 B",
        "Visitor: 2",
        "Visitor: Vesi valuu kadulle",
        "Visitor: [file vuoto.png]",
    ]


async def test_conversations_untouched_for_a_month_are_forgotten(desk: Desk) -> None:
    await desk.system.post("/api/categories", json={"code": "WATER", "name": "Water"})
    async with web_process(desk) as url:
        socket, old = await join(url, {"name": "Old", "email": "old@example.fi"})
        assert (await ask(socket, "I want to report a leak", "o1"))["text"].endswith("1. Water")
        await socket.close()
        async with desk.db.transaction() as session:  # a month passes
            stale = await session.get(ChatConversation, conversation_of(old))
            assert stale is not None
            stale.updated_at = utcnow() - timedelta(days=KEEP_DAYS + 1)
            session.add(stale)
        socket, _ = await join(url, {"name": "New", "email": "new@example.fi"})
        await socket.close()
        async with desk.db.session() as session:
            assert await session.get(ChatConversation, conversation_of(old)) is None
        # The returning visitor starts over: "1" is no longer an answer to a question.
        socket, _ = await join(url, {"token": old["token"]})
        answer = await ask(socket, "1", "o2")
        assert answer["text"].startswith("Sorry, I did not find an answer")
        await socket.close()


def conversation_of(ready: dict[str, Any]) -> str:
    """The conversation the widget's signed token names."""
    visitor = ChatAdapter("chat-secret").visitor(ready["token"])
    assert visitor is not None
    return visitor.conversation
