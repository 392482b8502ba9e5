"""The desktops' live event feed: a controller and a web app in two processes, joined only
by the database and a real Redis, and a desktop on the web app's websocket hearing the
calls the other process handles."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from agent_bridge.desktop_feed import allowed_patterns
from tests.conftest import REDIS_URL
from tests.harness import Deployment, Sipp, SwitchboardProcess, wait_until
from ticketing.access.roles import Principal, Role
from ticketing.errors import Forbidden, InvalidInput


@pytest.fixture(scope="module")
def split_deployment(deployment: Deployment) -> Iterator[Deployment]:
    """``switchboard controller`` and ``switchboard web`` as two processes on one bus."""
    bus = {"SWITCHBOARD_BUS_URL": REDIS_URL}
    controller = SwitchboardProcess(
        deployment, ("controller",), SWITCHBOARD_CALLS__HANDLER="greeting", **bus
    )
    web = SwitchboardProcess(deployment, ("web",), **bus)
    try:
        wait_until(lambda: _app_registered(deployment), timeout=60, what="the controller")
        wait_until(lambda: _healthy(deployment), timeout=60, what="the web app")
        yield deployment
    finally:
        web.stop()
        controller.stop()


def _app_registered(deployment: Deployment) -> bool:
    """The controller's Stasis app is registered in Asterisk (asked over ARI)."""
    try:
        reply = httpx.get(
            f"http://127.0.0.1:{deployment.http_port}/ari/applications/switchboard",
            auth=("switchboard", deployment.secrets()["ari_password"]),
        )
    except httpx.TransportError:
        return False
    return reply.status_code == 200


def _healthy(deployment: Deployment) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{deployment.web_port}/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _feed(deployment: Deployment, topics: str, token: str | None) -> ClientConnection:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return connect(
        f"ws://127.0.0.1:{deployment.web_port}/api/events?topics={topics}",
        additional_headers=headers,
        open_timeout=10,
    )


@pytest.mark.usefixtures("no_channels_left")
def test_a_desktop_hears_a_call_handled_by_another_process(
    split_deployment: Deployment, sipp: Sipp
) -> None:
    deployment = split_deployment
    number = f"+35850{uuid.uuid4().int % 10_000_000:07d}"
    with _feed(deployment, "call.*", deployment.secrets()["api_token"]) as feed:
        assert json.loads(feed.recv(timeout=10)) == {"type": "subscribed", "topics": ["call.*"]}
        result = sipp.run("caller.xml", callers=[(number, "Aino")], dialled="0800900900", calls=1)
        assert result.returncode == 0, result.stdout[-3000:]
        mine: list[dict[str, Any]] = []
        while len(mine) < 2:
            message = json.loads(feed.recv(timeout=15))
            if message["data"]["caller_number"] == number:
                mine.append(message)
    started, ended = mine
    assert (started["type"], started["topic"]) == ("event", "call.started")
    assert started["data"]["dialled_number"] == "0800900900"
    assert ended["topic"] == "call.ended"
    assert ended["data"]["disposition"] == "answered"
    ticket = deployment.ticket(ended["data"]["ticket_id"])
    assert [entry["call_id"] for entry in ticket["entries"]] == [started["data"]["id"]]


@pytest.mark.parametrize(
    ("token", "topics", "code", "reason"),
    [
        (None, "call.*", 4401, "missing API token"),
        ("not-a-token", "call.*", 4401, "invalid API token"),
        ("admin", "secrets.*", 4400, "unknown topic 'secrets.*'"),
        ("admin", "", 4400, "ask for at least one topic"),
    ],
)
def test_the_feed_refuses_with_a_code_and_a_reason(
    split_deployment: Deployment, token: str | None, topics: str, code: int, reason: str
) -> None:
    deployment = split_deployment
    if token == "admin":
        token = deployment.secrets()["api_token"]
    with _feed(deployment, topics, token) as feed, pytest.raises(ConnectionClosed) as closed:
        feed.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code
    assert reason in closed.value.rcvd.reason


@pytest.mark.parametrize(
    ("role", "topics", "error"),
    [
        (Role.CUSTOMER, ["ticket.*"], Forbidden),
        (Role.PARTNER, ["call.*"], Forbidden),
        (Role.AGENT, ["call", "acd.*"], InvalidInput),
        (Role.AGENT, ["x.*"] * 17, InvalidInput),
    ],
)
def test_only_staff_follow_the_feed_and_only_known_topics(
    role: Role, topics: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        allowed_patterns(Principal(user_id=7, name="someone", role=role), topics)


def test_agents_and_supervisors_follow_calls_queues_and_tickets() -> None:
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        principal = Principal(user_id=7, name="someone", role=role)
        wanted = ["call.*", "acd.*", "ticket.sla_*", "channel.message"]
        assert allowed_patterns(principal, wanted) == wanted
