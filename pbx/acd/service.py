"""The ACD in the controller: owns the router, turns its decisions into deliveries to the
calls waiting in queues, and follows agents' phones (a reachable phone logs its agent in).

The router is touched only from the event loop, between awaits, so its state is always
consistent; its decisions reach each call as events on that call's own ordered queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from pbx.acd.agent_state import AgentState
from pbx.acd.directory import AcdDirectory
from pbx.acd.queue_log import QueueEventKind, QueueLog
from pbx.acd.routing import (
    AgentChanged,
    AgentSpec,
    MaxWaitReached,
    Offer,
    Overflow,
    QueueSpec,
    Router,
    Strategy,
)
from pbx.ari.models import AriEvent
from pbx.call import Call

log = logging.getLogger(__name__)

REACHABLE = {"Reachable", "Created", "Updated"}
GONE = {"Removed", "Unreachable"}


class AcdOffered(AriEvent):
    """Delivered to a waiting call: ring this agent for up to ``timeout`` seconds."""

    agent: str
    timeout: float


class AcdLeftQueue(AriEvent):
    """Delivered to a waiting call: it reached its queue's max wait with no overflow."""

    queue: str


class AcdService:
    def __init__(self, directory: AcdDirectory, queue_log: QueueLog) -> None:
        self.directory = directory
        self.log = queue_log
        self.router = Router()
        self.waiting: dict[str, Call] = {}
        self._wake = asyncio.Event()
        self._reachable: set[str] = set()
        self.now: Callable[[], float] = lambda: asyncio.get_running_loop().time()

    async def load(self) -> None:
        """Queues and agents from the database (agents' live states are kept)."""
        queues = [
            QueueSpec(
                q.name,
                priority=q.priority,
                skills=dict(q.skills),
                strategy=Strategy(q.strategy),
                max_wait=q.max_wait_seconds,
                overflow=q.overflow_queue,
                wrapup=q.wrapup_seconds,
                no_answer=q.no_answer_seconds,
            )
            for q in await self.directory.queues()
        ]
        agents = [
            AgentSpec(a.extension, dict(a.skills), tuple(a.queues), dict(a.capacity))
            for a in await self.directory.agents()
        ]
        self.router.configure(queues, agents)
        for extension in self._reachable:
            await self._login(extension)

    def knows_queue(self, name: str) -> bool:
        return name in self.router.queues

    # --- agents' phones ---------------------------------------------------------------
    async def sync_contacts(self, contacts: list[dict[str, str]]) -> None:
        """Initial state from AMI's contact list: reachable phones log their agents in."""
        for contact in contacts:
            if contact.get("Status") in ("Reachable", "Avail"):
                await self.phone_status(contact.get("Endpoint", ""), "Reachable")

    async def on_contact_status(self, event: dict[str, str]) -> None:
        await self.phone_status(event.get("EndpointName", ""), event.get("ContactStatus", ""))

    async def phone_status(self, extension: str, status: str) -> None:
        if status == "Reachable":
            self._reachable.add(extension)
            if extension not in self.router.agents:
                await self.load()  # an agent added since the last load
            await self._login(extension)
        elif status in GONE:
            self._reachable.discard(extension)
            agent = self.router.agents.get(extension)
            if agent is not None and agent.state in (AgentState.READY, AgentState.NOT_READY):
                await self.agent_changed(self.router.logout(extension, self.now()))

    async def _login(self, extension: str) -> None:
        agent = self.router.agents.get(extension)
        if agent is None or agent.state is not AgentState.LOGGED_OUT:
            return
        now = self.now()
        await self.agent_changed(self.router.login(extension, now))
        await self.agent_changed(self.router.ready(extension, now))
        self._wake.set()

    async def set_ready(self, extension: str) -> None:
        await self.agent_changed(self.router.ready(extension, self.now()))
        self._wake.set()

    async def set_not_ready(self, extension: str, reason: str) -> None:
        await self.agent_changed(self.router.not_ready(extension, reason, self.now()))

    async def agent_changed(self, changed: AgentChanged | None) -> None:
        if changed is None:
            return
        log.info("agent %s: %s %s", changed.agent, changed.state, changed.reason)
        await self.log.record(
            QueueEventKind.AGENT_STATE,
            agent=changed.agent,
            state=changed.state.value,
            reason=changed.reason,
        )

    # --- contacts -------------------------------------------------------------------
    def enqueue(self, call: Call, queue: str, priority: int) -> None:
        self.router.enqueue(call.id, queue, self.now(), priority=priority)
        self.waiting[call.id] = call
        self._wake.set()

    def leave(self, contact: str) -> None:
        self.waiting.pop(contact, None)
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # --- the dispatcher -------------------------------------------------------------
    async def run(self) -> None:
        while True:
            for decision in self.router.step(self.now()):
                await self._carry_out(decision)
            due = self.router.next_due()
            timeout = None if due is None else max(0.0, due - self.now())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _carry_out(self, decision: Any) -> None:
        if isinstance(decision, AgentChanged):
            await self.agent_changed(decision)
        elif isinstance(decision, Offer):
            call = self.waiting.get(decision.contact)
            if call is not None:
                call.deliver(
                    AcdOffered(
                        type="SwitchboardAcdOffered",
                        agent=decision.agent,
                        timeout=decision.timeout,
                    )
                )
        elif isinstance(decision, Overflow):
            await self.log.record(
                QueueEventKind.OVERFLOWED,
                queue=decision.from_queue,
                contact=decision.contact,
                to_queue=decision.to_queue,
            )
        elif isinstance(decision, MaxWaitReached):
            call = self.waiting.pop(decision.contact, None)
            if call is not None:
                call.deliver(AcdLeftQueue(type="SwitchboardAcdLeftQueue", queue=decision.queue))
