"""Web chat over a real websocket (uvicorn serving the app): the pre-chat form, messages
acknowledged once stored, an agent reply pushed back, resuming after a reload."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, ChatSettings
from tests.channels.conftest import chat_workers
from tests.channels.providers import serving
from tests.ticketing.conftest import Desk
from web.app import create_app


@dataclasses.dataclass
class Chat:
    channels: Channels
    url: str


@pytest.fixture
async def chat(desk: Desk) -> AsyncIterator[Chat]:
    settings = ChannelSettings(chat=ChatSettings(enabled=True))
    channels = build_channels(
        settings, desk.db, desk.bus, desk.services.attachments.store, chat_secret="chat-secret"
    )
    app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
    async with serving(app) as port, chat_workers(channels.chat):
        yield Chat(channels, f"ws://127.0.0.1:{port}")


async def frame(socket: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await socket.recv(decode=True))
    return result


async def test_a_chat_becomes_a_ticket_and_the_agent_answers_live(desk: Desk, chat: Chat) -> None:
    async with websockets.connect(f"{chat.url}/api/channels/chat/ws") as socket:
        await socket.send(json.dumps({"type": "hello", "name": "Olga", "email": "Olga@Example.ua"}))
        ready = await frame(socket)
        assert ready["type"] == "ready" and ready["history"] == [] and ready["ticket"] is None
        token = ready["token"]
        await socket.send(json.dumps({"type": "message", "id": "c1", "text": "Is there water?"}))
        assert await frame(socket) == {"type": "ack", "id": "c1"}
        # The ack was lost and the widget sends again: stored once.
        await socket.send(json.dumps({"type": "message", "id": "c1", "text": "Is there water?"}))
        assert await frame(socket) == {"type": "ack", "id": "c1"}
        async with desk.bus.subscribe("chat.typing") as typing:
            await socket.send(json.dumps({"type": "typing"}))
            assert (await anext(typing)).data["conversation"]
        [threaded] = await chat.channels.threader.thread_pending()
        number = threaded.ticket_number
        ticket = (await desk.system.get(f"/api/tickets/{number}")).json()
        assert ticket["channel"] == "chat" and ticket["subject"] == "Is there water?"

        made = await desk.system.post(
            f"/api/tickets/{number}/entries",
            json={"kind": "reply", "body": "Yes, since noon.", "channel": "chat"},
        )
        assert made.status_code == 201
        await chat.channels.outbox.collect()
        assert await chat.channels.outbox.send_due() == 1
        pushed = await frame(socket)
        assert pushed["type"] == "message" and pushed["from"] == "agent"
        assert pushed["text"] == "Yes, since noon."

    # The page is reloaded: the widget resumes with its token and sees the conversation.
    async with websockets.connect(f"{chat.url}/api/channels/chat/ws") as socket:
        await socket.send(json.dumps({"type": "hello", "token": token}))
        ready = await frame(socket)
        assert ready["ticket"] == number and ready["name"] == "Olga"
        assert [(m["from"], m["text"]) for m in ready["history"]] == [
            ("visitor", "Is there water?"),
            ("agent", "Yes, since noon."),
        ]


async def test_a_forged_token_is_a_stranger_and_bad_frames_are_refused(chat: Chat) -> None:
    async with websockets.connect(f"{chat.url}/api/channels/chat/ws") as socket:
        await socket.send(json.dumps({"type": "hello", "token": "forged.token"}))
        assert (await frame(socket))["detail"] == "please give your email address"
    async with websockets.connect(f"{chat.url}/api/channels/chat/ws") as socket:
        await socket.send(json.dumps({"type": "hello", "name": "A", "email": "a@example.fi"}))
        await frame(socket)
        await socket.send("not json")
        assert (await frame(socket))["type"] == "error"
        await socket.send(json.dumps({"type": "message", "id": "x", "text": "y" * 5000}))
        assert "at most" in (await frame(socket))["detail"]
    assert await chat.channels.threader.thread_pending() == []


async def test_the_widget_script_is_served(desk: Desk) -> None:
    response = await desk.client().get("/widget/chat.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "/api/channels/chat/ws" in response.text


async def test_the_widget_in_a_real_browser_chats_and_resumes_after_reload(
    desk: Desk, chat: Chat
) -> None:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from tests.channels.browser import browser_page

    desk_origin = chat.url.replace("ws://", "http://")
    site = FastAPI()  # a customer's own web site, on another origin, embedding the widget

    @site.get("/")
    async def home() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='en'><body><h1>Example Water</h1>"
            f"<script src='{desk_origin}/widget/chat.js' defer></script></body></html>"
        )

    assert chat.channels.chat is not None
    agent, _ = await desk.user("agent")
    presence = chat.channels.chat.desk_presence
    await presence.set(agent["id"], True)  # an agent is at the desk: chat, not a message
    async with serving(site) as port, browser_page(f"http://127.0.0.1:{port}/") as page:
        await page.until("document.querySelector('.sb-prechat') !== null")
        await page.js(
            "document.querySelector('.sb-prechat [name=name]').value = 'Sofia';"
            "document.querySelector('.sb-prechat [name=email]').value = 'sofia@example.fi';"
            "document.querySelector('.sb-prechat button').click(); true"
        )
        await page.until("!document.querySelector('.sb-compose').hidden")
        await page.js(
            "document.querySelector('.sb-compose textarea').value = 'My meter is broken';"
            "document.querySelector('.sb-compose button').click(); true"
        )
        await page.until(
            "document.querySelectorAll('.sb-log .sb-sending').length === 0 &&"
            " document.querySelectorAll('.sb-log .sb-visitor').length === 1"
        )
        [threaded] = await chat.channels.threader.thread_pending()
        made = await desk.system.post(
            f"/api/tickets/{threaded.ticket_number}/entries",
            json={"kind": "reply", "body": "We will replace it tomorrow.", "channel": "chat"},
        )
        assert made.status_code == 201
        await chat.channels.outbox.collect()
        assert await chat.channels.outbox.send_due() == 1
        await page.until(
            "document.querySelector('.sb-log').textContent.includes('We will replace it tomorrow.')"
        )

        await page.send("Page.reload")
        await page.until("document.querySelectorAll('.sb-log li').length === 2")
        shown = await page.js(
            "Array.from(document.querySelectorAll('.sb-log li')).map(li => li.className + ':' +"
            " li.textContent)"
        )
        assert shown == ["sb-visitor:My meter is broken", "sb-agent:We will replace it tomorrow."]
        status = await page.js("document.querySelector('.sb-status').textContent")
        assert status == f"Request {threaded.ticket_number}"

        # The agent leaves the desk: the open widget turns to "leave a message" at once,
        # and back to chat when they return.
        await page.until("document.querySelector('.sb-leave').hidden")
        await presence.set(agent["id"], False)
        await page.until("!document.querySelector('.sb-leave').hidden")
        label = await page.js(
            "document.querySelector('.sb-compose textarea').getAttribute('aria-label')"
        )
        assert label == "Your message"
        await presence.set(agent["id"], True)
        await page.until("document.querySelector('.sb-leave').hidden")
