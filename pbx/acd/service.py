"""The ACD in the controller: owns the router, turns its decisions into deliveries to the
calls waiting in queues, and follows agents' phones (a reachable phone logs its agent in).

The router is touched only from the event loop, between awaits, so its state is always
consistent; its decisions reach each call as events on that call's own ordered queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from pbx.acd.agent_state import AgentState
from pbx.acd.directory import AcdDirectory
from pbx.acd.queue_log import QueueEventKind, QueueLog
from pbx.acd.routing import (
    AgentChanged,
    AgentSpec,
    LeaveReason,
    LeftQueue,
    Offer,
    Overflow,
    QueueSpec,
    RingAll,
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
    routing_ms: float = 0.0  # from the contact (or agent) being ready to this offer


class AcdRingAll(AriEvent):
    """Delivered to a waiting call: ring every one of ``agents`` at once."""

    agents: tuple[str, ...]
    timeout: float
    routing_ms: float = 0.0


class AcdLeftQueue(AriEvent):
    """Delivered to a waiting call: it leaves queueing unanswered, for ``reason`` (its
    queue's max wait, a full queue, nobody to serve it) with no overflow to take it."""

    queue: str
    reason: str = LeaveReason.MAX_WAIT.value


class AcdService:
    def __init__(self, directory: AcdDirectory, queue_log: QueueLog) -> None:
        self.directory = directory
        self.log = queue_log
        self.router = Router()
        self.waiting: dict[str, Call] = {}
        # contacts without a waiting call (callbacks): who carries out their offers
        self.offer_handlers: dict[str, Callable[[Offer | RingAll, float], None]] = {}
        self._wake = asyncio.Event()
        self._reachable: set[str] = set()
        self._gone_while_busy: set[str] = set()  # logged out once their contact ends
        self._woken_at: float | None = None  # when routing last became possible
        self.routing_ms: deque[float] = deque(maxlen=10_000)  # contact ready -> offered
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
                max_callers=q.max_callers,
                leave_when_empty=q.leave_when_empty,
                overflow=q.overflow_queue,
                wrapup=q.wrapup_seconds,
                no_answer=q.no_answer_seconds,
                announce_every=q.announce_every_seconds,
                callback_key=q.callback_key,
                caller_id=q.caller_id,
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

    def phone_registered(self, extension: str) -> bool:
        """The agent's phone is registered and answering (AMI ContactStatus)."""
        return extension in self._reachable

    async def on_contact_status(self, event: dict[str, str]) -> None:
        await self.phone_status(event.get("EndpointName", ""), event.get("ContactStatus", ""))

    async def phone_status(self, extension: str, status: str) -> None:
        if status == "Reachable":
            self._reachable.add(extension)
            self._gone_while_busy.discard(extension)
            if extension not in self.router.agents:
                await self.load()  # an agent added since the last load
            await self._login(extension)
        elif status in GONE:
            self._reachable.discard(extension)
            agent = self.router.agents.get(extension)
            if agent is None or agent.state is AgentState.LOGGED_OUT:
                return
            if agent.state in (AgentState.READY, AgentState.NOT_READY):
                await self.agent_changed(self.router.logout(extension, self.now()))
            else:  # on a call or wrapping up: logged out when that is over
                self._gone_while_busy.add(extension)

    async def _login(self, extension: str) -> None:
        agent = self.router.agents.get(extension)
        if agent is None or agent.state is not AgentState.LOGGED_OUT:
            return
        now = self.now()
        await self.agent_changed(self.router.login(extension, now))
        await self.agent_changed(self.router.ready(extension, now))
        self.wake()

    async def set_ready(self, extension: str) -> None:
        await self.agent_changed(self.router.ready(extension, self.now()))
        self.wake()

    async def set_not_ready(self, extension: str, reason: str) -> None:
        await self.agent_changed(self.router.not_ready(extension, reason, self.now()))

    async def answered(self, contact: str, agent: str) -> None:
        """The agent answered; with ring-all the others stop ringing and are ready again."""
        await self.agent_changed(self.router.answered(contact, self.now(), agent))

    async def agent_changed(self, changed: AgentChanged | None) -> None:
        released = self.router.take_released()  # ring-all agents that stopped ringing
        for other in released:
            await self.agent_changed(other)
        if released:
            self.wake()
        if changed is None:
            return
        log.info("agent %s: %s %s", changed.agent, changed.state, changed.reason)
        await self.log.record(
            QueueEventKind.AGENT_STATE,
            agent=changed.agent,
            state=changed.state.value,
            reason=changed.reason,
        )
        if changed.state is AgentState.READY and changed.agent in self._gone_while_busy:
            self._gone_while_busy.discard(changed.agent)  # their phone left meanwhile
            await self.agent_changed(self.router.logout(changed.agent, self.now()))

    # --- contacts -------------------------------------------------------------------
    def enqueue(
        self,
        call: Call,
        queue: str,
        priority: int,
        skills: dict[str, int] | None = None,
        agent: str | None = None,
    ) -> None:
        self.router.enqueue(
            call.id, queue, self.now(), priority=priority, skills=skills, agent=agent
        )
        self.waiting[call.id] = call
        self.wake()

    def leave(self, contact: str) -> None:
        self.waiting.pop(contact, None)
        self.wake()

    def wake(self) -> None:
        if self._woken_at is None:
            self._woken_at = self.now()
        self._wake.set()

    # --- the dispatcher -------------------------------------------------------------
    async def run(self) -> None:
        due: float | None = None
        while True:
            now = self.now()
            ready_since = self._woken_at if self._woken_at is not None else (due or now)
            self._woken_at = None
            self._wake.clear()
            decisions = self.router.step(now)
            # offers first: delivering one is instant, while logging a change waits on
            # the database, and a waiting caller should not wait on it
            decisions.sort(key=lambda d: not isinstance(d, Offer | RingAll))
            for decision in decisions:
                await self._carry_out(decision, ready_since)
            due = self.router.next_due()
            timeout = None if due is None else max(0.0, due - self.now())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _carry_out(self, decision: Any, ready_since: float) -> None:
        if isinstance(decision, AgentChanged):
            await self.agent_changed(decision)
        elif isinstance(decision, Offer | RingAll):
            call = self.waiting.get(decision.contact)
            routing_ms = round((self.now() - ready_since) * 1000, 3)
            self.routing_ms.append(routing_ms)
            handler = self.offer_handlers.get(decision.contact)
            if call is None and handler is not None:
                handler(decision, routing_ms)
            elif call is not None and isinstance(decision, Offer):
                call.deliver(
                    AcdOffered(
                        type="SwitchboardAcdOffered",
                        agent=decision.agent,
                        timeout=decision.timeout,
                        routing_ms=routing_ms,
                    )
                )
            elif call is not None:
                call.deliver(
                    AcdRingAll(
                        type="SwitchboardAcdRingAll",
                        agents=decision.agents,
                        timeout=decision.timeout,
                        routing_ms=routing_ms,
                    )
                )
        elif isinstance(decision, Overflow):
            await self.log.record(
                QueueEventKind.OVERFLOWED,
                queue=decision.from_queue,
                contact=decision.contact,
                to_queue=decision.to_queue,
                reason=decision.reason.value,
            )
        elif isinstance(decision, LeftQueue):
            call = self.waiting.pop(decision.contact, None)
            if call is not None:
                call.deliver(
                    AcdLeftQueue(
                        type="SwitchboardAcdLeftQueue",
                        queue=decision.queue,
                        reason=decision.reason.value,
                    )
                )
