"""An agent's call to a customer from the desktop (click-to-call): the agent's phone
rings first, then the customer's number, shown the queue's caller ID.

The call goes through the router as a contact only that agent may take, ahead of
waiting callers, so the agent is never offered a caller while their phone rings for it;
an agent who does not answer their own phone simply stays free.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from pbx.acd.agent_first import AgentFirstDialer, DialOut, Reached
from pbx.acd.agent_state import AgentState
from pbx.acd.errors import AcdError, UnknownAgent, UnknownQueue
from pbx.acd.queue_log import QueueEventKind
from pbx.acd.routing import Offer, RingAll
from pbx.acd.service import AcdService

log = logging.getLogger(__name__)

FIRST = 1_000_000  # priority: before any waiting caller


class ClickToCall:
    def __init__(self, acd: AcdService, dialer: AgentFirstDialer) -> None:
        self.acd = acd
        self.dialer = dialer
        self.pending: dict[str, DialOut] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def dial(
        self, agent: str, number: str, queue: str | None = None, ticket_id: int | None = None
    ) -> str:
        """Ring ``agent``'s phone, then ``number`` for ``queue`` (by default the first
        queue the agent serves); the contact's id. The agent must be ready or not ready;
        one who was not ready is not ready again, with the same reason, after the call."""
        acd = self.acd
        status = acd.router.agents.get(agent)
        if status is None:
            raise UnknownAgent(f"no agent has extension {agent}")
        if status.state not in (AgentState.READY, AgentState.NOT_READY):
            raise AcdError(
                f"agent {agent} is {status.state.value}: calls out need them ready or not ready"
            )
        if queue is None:
            if not status.spec.queues:
                raise AcdError(f"agent {agent} serves no queue: name the queue to call for")
            queue = status.spec.queues[0]
        if not acd.knows_queue(queue):
            raise UnknownQueue(f"no queue is named '{queue}'")
        contact = f"dial-{uuid.uuid4().hex[:12]}"
        queued = acd.router.enqueue(
            contact, queue, acd.now(), priority=FIRST, agent=agent, own_call=True
        )
        queued.callback = True  # no max wait: it is for this agent alone
        self.pending[contact] = DialOut(contact, number, queue, acd.now(), ticket_id)
        acd.offer_handlers[contact] = self._offered
        await acd.log.record(
            QueueEventKind.DIAL_OUT_REQUESTED,
            queue=queue,
            contact=contact,
            agent=agent,
            number=number,
            ticket=ticket_id,
        )
        acd.wake()
        return contact

    def _offered(self, decision: Offer | RingAll, routing_ms: float) -> None:
        task = asyncio.create_task(
            self._place(decision, routing_ms), name=f"dial-out-{decision.contact}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _place(self, decision: Offer | RingAll, routing_ms: float) -> None:
        acd = self.acd
        contact = decision.contact
        job = self.pending.pop(contact)
        try:
            reached = await self.dialer.place(job, decision, routing_ms)
            if reached is Reached.AGENT_NO_ANSWER:  # the agent stays free, not "no answer"
                _, changed = acd.router.withdraw(contact, acd.now())
                await acd.agent_changed(changed)
                acd.wake()
        finally:
            acd.offer_handlers.pop(contact, None)
        await acd.log.record(
            QueueEventKind.DIAL_OUT_COMPLETED,
            queue=job.queue,
            contact=contact,
            agent=job.agent or self._asked_by(decision),
            number=job.number,
            outcome=reached.value,
            talk_seconds=job.talk_seconds,
        )

    @staticmethod
    def _asked_by(decision: Offer | RingAll) -> str:
        return decision.agent if isinstance(decision, Offer) else decision.agents[0]
