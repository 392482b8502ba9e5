"""The chatbot in front of web chat, over a real websocket (uvicorn serving the app) on a
migrated database: answers from public articles in the visitor's language, registering a
request step by step, request status for its owner only, handing over to a person (with
the transcript on the ticket) or leaving a message when nobody is there, and files both
ways under the ticket attachment rules."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from channels.chat.bot import enable_chatbot
from channels.chat.presence import AcdPresence
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, ChatSettings
from knowledge.service import KnowledgeService
from pbx.acd.routing import AgentSpec, Router
from switchboard.bus import EventBus
from switchboard.redis_bus import RedisBus
from tests.channels.conftest import chat_workers
from tests.channels.providers import serving
from tests.ticketing.conftest import PNG_HEADER, Desk
from ticketing.access.roles import SYSTEM
from ticketing.streets import StreetRow
from web.app import create_app

PHOTO = PNG_HEADER + b"\x00" * 200


@dataclasses.dataclass
class Bot:
    channels: Channels
    url: str
    http: str

    def http_client(self, desk: Desk, like: httpx.AsyncClient | None = None) -> httpx.AsyncClient:
        """A client of the served app, with another client's credentials."""
        headers = dict(like.headers) if like is not None else {}
        client = httpx.AsyncClient(base_url=self.http, headers=headers)
        desk.clients.append(client)
        return client

    def socket(self) -> Any:
        return websockets.connect(f"{self.url}/api/channels/chat/ws", max_size=None)


def chatbot_app(desk: Desk, bus: EventBus | None = None) -> tuple[Channels, FastAPI]:
    """The web app with web chat and the chatbot, built (as ``switchboard web`` builds
    it) from the settings, the database and the event bus alone."""
    settings = ChannelSettings(chat=ChatSettings(enabled=True))
    channels = build_channels(
        settings,
        desk.db,
        bus or desk.bus,
        desk.services.attachments.store,
        chat_secret="chat-secret",
    )
    assert channels.chat is not None
    enable_chatbot(channels.chat, KnowledgeService(desk.db), desk.services.streets)
    return channels, create_app(dataclasses.replace(desk.app.state.context, channels=channels))


@pytest.fixture
async def bot(desk: Desk) -> AsyncIterator[Bot]:
    channels, app = chatbot_app(desk)
    async with serving(app) as port, chat_workers(channels.chat):
        yield Bot(channels, f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}")


async def frame(socket: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await socket.recv(decode=True))
    return result


async def hello(socket: Any, name: str, email: str, language: str = "en") -> dict[str, Any]:
    await socket.send(
        json.dumps({"type": "hello", "name": name, "email": email, "language": language})
    )
    ready = await frame(socket)
    assert ready["type"] == "ready", ready
    greeting = await frame(socket)
    assert greeting["from"] == "bot"
    return ready


async def ask(socket: Any, text: str, client_id: str) -> dict[str, Any]:
    """Send a message; the bot's answer (after the acknowledgement)."""
    await socket.send(json.dumps({"type": "message", "id": client_id, "text": text}))
    assert await frame(socket) == {"type": "ack", "id": client_id}
    answer = await frame(socket)
    assert answer["type"] == "message" and answer["from"] == "bot", answer
    return answer


async def send_file(socket: Any, name: str, data: bytes, client_id: str) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    await socket.send(json.dumps({"type": "file", "id": client_id, "name": name, "data": encoded}))
    return await frame(socket)


async def article(desk: Desk, **fields: Any) -> dict[str, Any]:
    made = await desk.system.post("/api/knowledge/articles", json=fields)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def available_agent(desk: Desk, bot: Bot) -> httpx.AsyncClient:
    _, agent = await desk.user("agent")
    agent = bot.http_client(desk, agent)
    said = await agent.put("/api/channels/chat/presence", json={"available": True})
    assert said.status_code == 200 and said.json()["available"] is True
    return agent


async def test_the_bot_answers_from_public_articles_in_the_visitors_language(
    desk: Desk, bot: Bot
) -> None:
    await article(
        desk,
        title="Paying your water bill",
        body="Pay the invoice by bank transfer or e-invoice.",
        language="en",
    )
    finnish = await article(
        desk,
        title="Vesilaskun maksaminen",
        body="Maksa lasku pankkisiirrolla tai e-laskuna. Eräpäivä on laskussa.",
        language="fi",
    )
    await article(
        desk,
        title="Gnome garden inventory",
        body="Internal count of garden gnomes.",
        language="fi",
        visibility="internal",
    )
    async with bot.socket() as socket:
        await socket.send(
            json.dumps(
                {"type": "hello", "name": "Aino", "email": "aino@example.fi", "language": "fi-FI"}
            )
        )
        ready = await frame(socket)
        assert ready["language"] == "fi" and ready["agents"] is False
        greeting = await frame(socket)
        assert greeting["text"].startswith("Hei Aino!")
        answer = await ask(socket, "Miten maksan vesilaskun?", "q1")
        assert answer["article"]["id"] == finnish["id"]
        assert answer["article"]["title"] == "Vesilaskun maksaminen"
        assert answer["article"]["excerpt"].startswith("Maksa lasku pankkisiirrolla")
        assert answer["text"] == "Tästä artikkelista voi olla apua: Vesilaskun maksaminen"
        page = await desk.client().get(answer["article"]["url"])
        assert page.status_code == 200 and "<h1>Vesilaskun maksaminen</h1>" in page.text
        # An internal article is never an answer.
        unknown = await ask(socket, "Montako puutarhatonttua on?", "q2")
        assert "article" not in unknown
        assert unknown["text"].startswith("Valitettavasti en löytänyt vastausta")
    # Nothing the bot answered became a ticket.
    assert (await desk.system.get("/api/tickets")).json()["items"] == []


async def test_an_faq_answer_and_two_failed_answers_hand_over_with_the_transcript(
    desk: Desk, bot: Bot
) -> None:
    made = await desk.system.post(
        "/api/knowledge/faqs",
        json={
            "questions": ["When is the office open?", "Opening hours?"],
            "answer": "Weekdays 8-16.",
            "language": "en",
        },
    )
    assert made.status_code == 201
    await available_agent(desk, bot)
    async with bot.socket() as socket:
        ready = await hello(socket, "Olga", "olga@example.ua")
        assert ready["agents"] is True
        assert (await ask(socket, "What are your opening hours?", "m1"))["text"] == "Weekdays 8-16."
        first = await ask(socket, "My neighbour's dog barks at the meter reader", "m2")
        assert first["text"].startswith("Sorry, I did not find an answer")
        handed = await ask(socket, "The gnome statue blocks the hydrant", "m3")
        number = handed["ticket"]
        assert handed["text"] == (
            "I am passing you to an agent, who can see our conversation. "
            f"Your request number is {number}."
        )
        thread = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
        [transcript] = [e["body"] for e in thread if e["kind"] == "chat"]
        assert "Visitor: What are your opening hours?" in transcript
        assert "Assistant: Weekdays 8-16." in transcript
        assert "Visitor: The gnome statue blocks the hydrant" in transcript

        # From now on a person answers: the visitor's message joins the same ticket ...
        await socket.send(json.dumps({"type": "message", "id": "m4", "text": "Hello?"}))
        assert await frame(socket) == {"type": "ack", "id": "m4"}
        [threaded] = await bot.channels.threader.thread_pending()
        assert threaded.ticket_number == number
        # ... and the agent's reply is pushed to the visitor.
        reply = await desk.system.post(
            f"/api/tickets/{number}/entries",
            json={"kind": "reply", "body": "I am here. Let me check.", "channel": "chat"},
        )
        assert reply.status_code == 201
        await bot.channels.outbox.collect()
        assert await bot.channels.outbox.send_due() == 1
        pushed = await frame(socket)
        assert pushed["from"] == "agent" and pushed["text"] == "I am here. Let me check."


async def test_without_an_agent_the_visitor_leaves_a_message_and_gets_its_number(
    desk: Desk, bot: Bot
) -> None:
    async with bot.socket() as socket:
        await hello(socket, "Sven", "sven@example.se", "sv")
        offline = await ask(socket, "Jag vill prata med en människa", "s1")
        assert offline["offline"] is True
        assert offline["text"].startswith("Ingen handläggare är tillgänglig just nu")
        filed = await ask(socket, "Ring mig om fakturan, tack.", "s2")
        number = filed["ticket"]
        assert filed["text"] == f"Tack. Ditt meddelande är sparat; ditt ärendenummer är {number}."
        ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
        assert ticket["channel"] == "chat" and ticket["subject"] == "Ring mig om fakturan, tack."
        # The widget's own leave-a-message form: one ticket however often it is sent.
        for _ in range(2):
            await socket.send(
                json.dumps({"type": "leave_message", "id": "lm1", "text": "Ett till meddelande"})
            )
            left = await frame(socket)
            assert left["type"] == "filed" and left["id"] == "lm1"
    tickets = (await desk.system.get("/api/tickets")).json()["items"]
    assert sorted(t["number"] for t in tickets) == sorted({number, left["ticket"]})


async def test_a_visitor_asked_to_leave_a_message_is_handed_over_when_an_agent_comes_back(
    desk: Desk, bot: Bot
) -> None:
    async with bot.socket() as socket:
        await hello(socket, "Liisa", "liisa@example.fi")
        offline = await ask(socket, "agent please", "l1")
        assert offline["offline"] is True
        agent = await available_agent(desk, bot)
        assert await frame(socket) == {"type": "agents", "available": True}
        handed = await ask(socket, "Are you there now?", "l2")
        number = handed["ticket"]
        assert handed["text"].startswith("I am passing you to an agent")
        # No message was left: the agent has the conversation on the ticket.
        [transcript] = [
            e["body"]
            for e in (await desk.system.get(f"/api/tickets/{number}/entries")).json()
            if e["kind"] == "chat"
        ]
        assert "Visitor: agent please" in transcript and "Visitor: Are you there now?" in transcript
        gone = await agent.put("/api/channels/chat/presence", json={"available": False})
        assert gone.json() == {"available": False, "users": []}
        assert await frame(socket) == {"type": "agents", "available": False}


async def test_an_unrenewed_presence_lapses_and_open_widgets_are_told(desk: Desk) -> None:
    settings = ChannelSettings(chat=ChatSettings(enabled=True, presence_lease_seconds=1))
    channels = build_channels(
        settings, desk.db, desk.bus, desk.services.attachments.store, chat_secret="chat-secret"
    )
    assert channels.chat is not None
    user, _ = await desk.user("agent")
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    async with serving(app) as port, chat_workers(channels.chat):
        url = f"ws://127.0.0.1:{port}/api/channels/chat/ws"
        async with websockets.connect(url) as socket:
            await socket.send(json.dumps({"type": "hello", "name": "Per", "email": "per@ex.se"}))
            assert (await frame(socket))["agents"] is False
            await channels.chat.desk_presence.set(user["id"], True)
            assert await frame(socket) == {"type": "agents", "available": True}
            # The desk closed without saying so: the lease runs out on its own.
            assert await frame(socket) == {"type": "agents", "available": False}
            assert await channels.chat.desk_presence.agents() == []


async def test_presence_and_replies_from_one_web_process_reach_visitors_of_another(
    desk: Desk, redis_url: str
) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    buses = [RedisBus(redis_url, prefix=prefix), RedisBus(redis_url, prefix=prefix)]
    (desk_side, desk_app), (visitors, visitor_app) = (chatbot_app(desk, b) for b in buses)
    try:
        async with (
            serving(desk_app) as desk_port,
            serving(visitor_app) as visitor_port,
            chat_workers(visitors.chat),
        ):
            url = f"ws://127.0.0.1:{visitor_port}/api/channels/chat/ws"
            async with websockets.connect(url) as socket:
                ready = await hello(socket, "Taras", "taras@example.ua", "uk")
                assert ready["agents"] is False
                user, token = await desk.user("agent")
                agent = httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{desk_port}", headers=dict(token.headers)
                )
                desk.clients.append(agent)
                said = await agent.put("/api/channels/chat/presence", json={"available": True})
                assert said.json() == {"available": True, "users": [user["id"]]}
                assert await frame(socket) == {"type": "agents", "available": True}
                number = (await ask(socket, "оператор", "t1"))["ticket"]
                # The agent's reply leaves through the other process's outbox.
                reply = await agent.post(
                    f"/api/tickets/{number}/entries",
                    json={"kind": "reply", "body": "Вітаю, я тут.", "channel": "chat"},
                )
                assert reply.status_code == 201, reply.text
                await desk_side.outbox.collect()
                assert await desk_side.outbox.send_due() == 1
                pushed = await frame(socket)
                assert (pushed["from"], pushed["text"]) == ("agent", "Вітаю, я тут.")
            seen = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{visitor_port}", headers=dict(token.headers)
            )
            desk.clients.append(seen)
            listed = await seen.get("/api/channels/chat/presence")
            assert listed.json() == {"available": True, "users": [user["id"]]}
    finally:
        for bus in buses:
            await bus.close()


async def test_registering_a_request_with_category_address_and_photo(desk: Desk, bot: Bot) -> None:
    water = await desk.system.post("/api/categories", json={"code": "WATER", "name": "Water"})
    await desk.system.post("/api/categories", json={"code": "ROADS", "name": "Roads"})
    await desk.services.streets.import_rows(
        SYSTEM,
        [
            StreetRow(1, "Mäkelänkatu", "00510", "Helsinki"),
            StreetRow(2, "Mannerheimintie", "00100", "Helsinki"),
            StreetRow(3, "Mannerheimintie", "00250", "Helsinki"),
        ],
    )
    async with bot.socket() as socket:
        await hello(socket, "Mikko", "mikko@example.fi")
        asked = await ask(socket, "I want to report a leak", "r1")
        assert (
            asked["text"] == "What is the request about? Reply with a number:\n1. Roads\n2. Water"
        )
        assert (await ask(socket, "7", "r2"))["text"].startswith("Please reply with one of")
        assert (await ask(socket, "2", "r3"))["text"] == "What is the address (street and number)?"
        # The acknowledgement was lost and the widget sends again: the same answer, once.
        assert (await ask(socket, "2", "r3"))["text"] == "What is the address (street and number)?"
        # Two streets share the name: the visitor picks one.
        picked = await ask(socket, "mannerheimintie 12 B", "r4")
        assert (
            "1. Mannerheimintie, 00100 Helsinki\n2. Mannerheimintie, 00250 Helsinki"
            in (picked["text"])
        )
        assert (await ask(socket, "2", "r5"))["text"] == "Please describe the problem."
        assert (await ask(socket, "Water is running on the street", "r6"))["text"] == (
            "You can now send a photo, or write 'skip'."
        )
        assert await send_file(socket, "leak.png", PHOTO, "r7") == {"type": "ack", "id": "r7"}
        filed = await frame(socket)
        number = filed["ticket"]
        assert filed["text"] == f"Thank you. Your request is registered; its number is {number}."
    ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
    assert ticket["category_id"] == water.json()["id"]
    assert ticket["subject"] == "Water is running on the street"
    [address] = ticket["addresses"]
    assert (address["street"], address["postal_code"]) == ("Mannerheimintie 12 B", "00250")
    assert address["street_registered"] is True
    [entry] = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
    [photo] = ticket["attachments"]
    assert (photo["filename"], photo["entry_id"]) == ("leak.png", entry["id"])
    assert "Visitor: I want to report a leak" in entry["body"]


async def test_status_is_told_only_to_the_owner_of_the_request(desk: Desk, bot: Bot) -> None:
    async with bot.socket() as socket:
        await hello(socket, "Ann", "ann@example.org")
        await ask(socket, "agent please", "a1")
        filed = await ask(socket, "My bin was not emptied", "a2")
        number = filed["ticket"]
        told = await ask(socket, f"What is the status of {number}?", "a3")
        assert told["text"] == f"Request {number} is new."
    async with bot.socket() as socket:
        await hello(socket, "Eve", "eve@example.org", "uk")
        refused = await ask(socket, f"Статус {number}", "e1")
        assert refused["text"] == f"Я не знайшов вашого звернення {number}."
        assert "ticket" not in refused and "bin" not in refused["text"]


async def test_files_are_checked_stored_on_the_entry_and_sent_back(
    desk: Desk, bot: Bot, tmp_path: Any
) -> None:
    agent = await available_agent(desk, bot)
    store = desk.services.attachments.store
    async with bot.socket() as socket:
        await hello(socket, "Kate", "kate@example.org")
        number = (await ask(socket, "human", "k1"))["ticket"]
        too_big = await send_file(socket, "big.png", PNG_HEADER + b"\x00" * store.max_bytes, "k2")
        assert too_big == {
            "type": "error",
            "id": "k2",
            "detail": f"the file is larger than the limit of {store.max_bytes} bytes",
        }
        refused = await send_file(socket, "run.exe", b"MZ\x90\x00", "k3")
        assert (
            refused["type"] == "error"
            and "files of type .exe are not accepted" in refused["detail"]
        )
        fake = await send_file(socket, "photo.png", b"not a png at all", "k4")
        assert fake["detail"] == "the file's content is not image/png"
        unsafe = await send_file(socket, "../../etc/passwd.txt", b"root", "k5")
        assert unsafe["detail"].startswith("unsafe file name")
        stored = sorted(p.name for p in store.root.rglob("*") if p.is_file())
        assert stored == []

        assert await send_file(socket, "meter.png", PHOTO, "k6") == {"type": "ack", "id": "k6"}
        await bot.channels.threader.thread_pending()
        ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
        assert [a["filename"] for a in ticket["attachments"]] == ["meter.png"]
        entries = (await desk.system.get(f"/api/tickets/{number}/entries")).json()
        assert entries[-1]["id"] == ticket["attachments"][0]["entry_id"]
        assert entries[-1]["body"] == "meter.png"

        sent = await agent.post(
            f"/api/channels/chat/tickets/{number}/files",
            files={"file": ("manual.pdf", b"%PDF-1.4 instructions", "application/pdf")},
        )
        assert sent.status_code == 201, sent.text
        await bot.channels.outbox.collect()
        assert await bot.channels.outbox.send_due() == 1
        pushed = await frame(socket)
        assert pushed["from"] == "agent" and pushed["text"] == "manual.pdf"
        [link] = pushed["files"]
        got = await bot.http_client(desk).get(link["url"])
        assert got.status_code == 200 and got.content == b"%PDF-1.4 instructions"
        forged = await bot.http_client(desk).get("/api/channels/chat/files/1.forged")
        assert forged.status_code == 404
        refused_upload = await agent.post(
            f"/api/channels/chat/tickets/{number}/files",
            files={"file": ("tool.exe", b"MZ", "application/octet-stream")},
        )
        assert refused_upload.status_code == 422

    # A reloaded page shows the files in the history.
    async with bot.socket() as socket:
        await socket.send(
            json.dumps({"type": "hello", "name": "Kate", "email": "kate@example.org"})
        )
        ready = await frame(socket)
        assert [f["name"] for m in ready["history"] for f in m["files"]] == [
            "meter.png",
            "manual.pdf",
        ]


async def test_acd_agents_count_when_ready_with_chat_capacity_left() -> None:
    router = Router(agents=[AgentSpec("201", capacity={"voice": 1, "chat": 2}), AgentSpec("202")])
    presence = AcdPresence(lambda: router.agents.values())
    assert await presence.available() is False
    router.login("202", 0.0)
    router.ready("202", 0.0)  # ready, but takes no chats
    assert await presence.available() is False
    router.login("201", 0.0)
    router.ready("201", 0.0)
    assert await presence.available() is True
    router.agents["201"].load["chat"] = 2  # two chats already
    assert await presence.available() is False
