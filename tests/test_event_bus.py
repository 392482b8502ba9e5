"""The event bus: the same contract in one process (LocalBus) and between processes (Redis),
and a call's events reaching a subscriber in another process through a real Redis."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis

from switchboard.bus import BusEvent, BusUnavailable, EventBus, LocalBus, make_bus
from switchboard.redis_bus import RedisBus
from tests.harness import Deployment, Sipp, running, wait_until


@pytest.fixture(params=["local", "redis"])
async def bus(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[EventBus]:
    if request.param == "local":
        made: EventBus = LocalBus()
    else:  # a prefix of its own, so concurrent test runs on one Redis do not meet
        made = RedisBus(redis_url, prefix=f"test-{uuid.uuid4().hex}:")
    await made.check()
    yield made
    await made.close()


async def _next(events: AsyncIterator[BusEvent]) -> BusEvent:
    return await asyncio.wait_for(anext(events), timeout=5)


async def test_a_subscriber_gets_matching_events_in_order(bus: EventBus) -> None:
    async with bus.subscribe("acd.*") as events:
        await bus.publish("call.started", {"id": 1})
        await bus.publish("acd.entered", {"queue": "billing", "contact": "c1"})
        await bus.publish("acd.answered", {"queue": "billing", "agent": "1001"})
        first, second = await _next(events), await _next(events)
    assert (first.topic, first.data) == ("acd.entered", {"queue": "billing", "contact": "c1"})
    assert (second.topic, second.data["agent"]) == ("acd.answered", "1001")
    assert first.at <= second.at


async def test_every_subscriber_gets_its_own_copy(bus: EventBus) -> None:
    async with bus.subscribe("chat.*") as one, bus.subscribe("*") as every:
        await bus.publish("chat.typing", {"conversation": "k"})
        assert (await _next(one)).topic == "chat.typing"
        assert (await _next(every)).topic == "chat.typing"


async def test_events_cross_processes_through_redis(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    bus = RedisBus(redis_url, prefix=prefix)
    publisher = (
        "import asyncio, sys\n"
        "from switchboard.redis_bus import RedisBus\n"
        "async def main():\n"
        "    bus = RedisBus(sys.argv[1], prefix=sys.argv[2])\n"
        "    await bus.publish('call.ended', {'id': 42, 'disposition': 'answered'})\n"
        "    await bus.close()\n"
        "asyncio.run(main())\n"
    )
    try:
        async with bus.subscribe("call.*") as events:
            done = await asyncio.create_subprocess_exec(
                sys.executable, "-c", publisher, redis_url, prefix
            )
            assert await done.wait() == 0
            event = await _next(events)
    finally:
        await bus.close()
    assert (event.topic, event.data) == ("call.ended", {"id": 42, "disposition": "answered"})


async def test_an_unreachable_bus_is_named_and_publishing_never_fails_the_caller() -> None:
    bus = make_bus("redis://127.0.0.1:9/0")
    with pytest.raises(BusUnavailable, match=r"redis://127\.0\.0\.1:9/0"):
        await bus.check()
    await bus.publish("call.started", {"id": 1})  # logged, not raised
    await bus.close()


def test_switchboard_refuses_to_start_with_an_unreachable_bus(deployment: Deployment) -> None:
    result = deployment.cli("up", SWITCHBOARD_BUS_URL="redis://127.0.0.1:9/0", timeout=120)
    assert result.returncode == 2
    assert "cannot reach the event bus at redis://127.0.0.1:9/0" in result.stderr


@pytest.fixture
def call_events(redis_url: str) -> Iterator[redis.client.PubSub]:
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("switchboard:call.*")
    yield pubsub
    pubsub.close()
    client.close()


@pytest.mark.usefixtures("no_channels_left")
def test_a_call_is_announced_to_another_process_with_its_ticket(
    deployment: Deployment, sipp: Sipp, redis_url: str, call_events: redis.client.PubSub
) -> None:
    """A desktop in another process learns of the call (screen pop) and of its ticket."""
    number = f"+35840{uuid.uuid4().int % 10_000_000:07d}"
    seen: list[dict[str, Any]] = []

    def events_for_caller() -> list[dict[str, Any]]:
        while (message := call_events.get_message(timeout=0.2)) is not None:
            event = json.loads(message["data"])
            if event["data"]["caller_number"] == number:
                seen.append(event)
        return seen

    with running(deployment, SWITCHBOARD_CALLS__HANDLER="greeting", SWITCHBOARD_BUS_URL=redis_url):
        result = sipp.run("caller.xml", callers=[(number, "Aino")], dialled="0800700800", calls=1)
        assert result.returncode == 0, result.stdout[-3000:]
        wait_until(lambda: len(events_for_caller()) == 2, timeout=15, what="two call events")
        ticket = deployment.ticket(seen[1]["data"]["ticket_id"])

    started, ended = seen
    assert started["topic"] == "call.started"
    assert started["data"]["dialled_number"] == "0800700800"
    assert started["data"]["disposition"] == "active"
    assert ended["topic"] == "call.ended"
    assert ended["data"]["id"] == started["data"]["id"]
    assert ended["data"]["disposition"] == "answered"
    assert [entry["call_id"] for entry in ticket["entries"]] == [started["data"]["id"]]
