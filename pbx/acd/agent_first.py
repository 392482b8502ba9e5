"""Calls the ACD places itself, agent first: the agent's phone rings; once the agent
answers, the customer's number is dialled through the trunk (``calls.callback_dial``)
with the queue's caller ID, and the two legs are bridged until either hangs up.

Queued callbacks and agents' click-to-call both go this way. The customer's leg is a
call record of its own (direction ``outbound``), so the conversation is filed on a
ticket like every other call; the queue log keeps offered / answered / no_answer.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pbx.acd.queue_log import QueueEventKind
from pbx.acd.ringing import RingAllOffer
from pbx.acd.routing import Offer, RingAll
from pbx.acd.service import AcdService
from pbx.ari.client import AriClient
from pbx.ari.errors import AriError
from pbx.ari.models import AriEvent, Channel, ChannelDestroyed, StasisEnd, StasisStart
from pbx.call import Call
from pbx.call_log import CallLog
from pbx.models import Disposition
from switchboard.db_types import utcnow

log = logging.getLogger(__name__)

AttachLeg = Callable[[str, Call], None]
DetachLeg = Callable[[str], None]
CUSTOMER_RING_SECONDS = 30


class Reached(StrEnum):
    AGENT_NO_ANSWER = "agent_no_answer"  # the agent's phone was not answered
    NOT_REACHED = "not_reached"  # the agent answered; the customer did not
    ANSWERED = "answered"  # the two talked


@dataclass
class DialOut:
    """One call to place: who to dial, for which queue, and since when it waits."""

    contact: str
    number: str
    queue: str
    waiting_since: float  # on the event loop's clock
    ticket_id: int | None = None  # file the conversation on this ticket
    talk_seconds: float | None = None  # set once the conversation ended
    refused: list[str] = field(default_factory=list)  # ring-all phones that turned it down
    agent: str = ""  # the agent who answered


class AgentFirstDialer:
    def __init__(
        self,
        acd: AcdService,
        ari: AriClient,
        attach: AttachLeg,
        detach: DetachLeg,
        dial: str,
        calls: CallLog | None = None,
    ) -> None:
        self.acd = acd
        self.ari = ari
        self.attach = attach
        self.detach = detach
        self.dial = dial  # e.g. "PJSIP/trunk/sip:{number}@carrier:5060"
        self.calls = calls

    async def place(
        self,
        job: DialOut,
        decision: Offer | RingAll,
        routing_ms: float,
        on_connected: Callable[[], Awaitable[None]] | None = None,
    ) -> Reached:
        """Ring the offered agent (or, ring-all, every one of them). AGENT_NO_ANSWER
        leaves the router's contact as it was for the caller to decide (ring-all phones
        that turned it down are in ``job.refused``); otherwise the contact ends (the agent
        wraps up) and the outcome says whether the customer answered."""
        acd = self.acd
        # The legs' events: a call object of its own, never a channel itself.
        events = Call(Channel(id=job.contact, name="Switchboard/dial-out"), self.ari)
        answered = await self._agent_answers(events, job, decision, routing_ms)
        if answered is None:
            return Reached.AGENT_NO_ANSWER
        agent, leg = answered
        job.agent = agent
        await acd.answered(job.contact, agent)
        await acd.log.record(
            QueueEventKind.ANSWERED,
            queue=job.queue,
            contact=job.contact,
            agent=agent,
            wait_seconds=acd.now() - job.waiting_since,
            dial_out=True,
        )
        customer = f"{job.contact}-c{uuid.uuid4().hex[:7]}"
        bridge: str | None = None
        reached = Reached.NOT_REACHED
        talk_from: float | None = None
        record = await self._record(customer, agent, job)
        answered_at: datetime | None = None
        try:
            if await self._customer_answers(events, customer, leg, job):
                answered_at = utcnow()
                if record is not None and self.calls is not None:
                    await self.calls.answered(record, answered_at)
                bridge = uuid.uuid4().hex
                await self.ari.create_bridge(bridge)
                await self.ari.add_to_bridge(bridge, [leg, customer])
                reached, talk_from = Reached.ANSWERED, acd.now()
                if on_connected is not None:
                    await on_connected()
                await events.wait_for(lambda e: _gone(e, customer) or _gone(e, leg))
        except AriError as exc:  # a leg vanished under us
            log.info("dial-out %s ended: %s", job.contact, exc)
        finally:
            for channel in (customer, leg):
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel)
                self.detach(channel)
            if bridge is not None:
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(bridge)
            if talk_from is not None:
                job.talk_seconds = round(acd.now() - talk_from, 3)
            await acd.agent_changed(acd.router.ended(job.contact, acd.now()))
            await self._close(record, answered_at, reached, job)
            acd.wake()
        return reached

    async def _agent_answers(
        self, events: Call, job: DialOut, decision: Offer | RingAll, routing_ms: float
    ) -> tuple[str, str] | None:
        """(agent, leg) once an agent's phone answered, else None."""
        if isinstance(decision, RingAll):
            ringing = RingAllOffer(self.acd, self.attach, self.detach)
            won, job.refused = await ringing.first_answer(
                events,
                job.contact,
                job.queue,
                decision.agents,
                decision.timeout,
                routing_ms,
                caller_id=job.number,
            )
            return won
        agent = decision.agent
        await self.acd.log.record(
            QueueEventKind.OFFERED,
            queue=job.queue,
            contact=job.contact,
            agent=agent,
            dial_out=True,
            routing_ms=routing_ms,
        )
        leg = f"{job.contact}-{uuid.uuid4().hex[:8]}"
        self.attach(leg, events)
        try:
            await self.ari.originate(
                f"PJSIP/{agent}",
                leg,
                app_args="agent",
                caller_id=job.number,
                timeout=max(1, round(decision.timeout)) + 5,
            )
            started = await events.wait_for(
                lambda e: isinstance(e, StasisStart | ChannelDestroyed) and e.channel.id == leg,  # type: ignore[attr-defined]
                decision.timeout,
            )
        except AriError as exc:
            log.warning("dial-out %s: agent %s not reached: %s", job.contact, agent, exc)
            started = None
        if isinstance(started, StasisStart):
            return agent, leg
        with contextlib.suppress(AriError):
            await self.ari.hangup(leg)
        self.detach(leg)
        await self.acd.log.record(
            QueueEventKind.NO_ANSWER, queue=job.queue, contact=job.contact, agent=agent
        )
        return None

    async def _record(self, customer: str, agent: str, job: DialOut) -> int | None:
        """The customer's leg as an outbound call record, naming the agent."""
        if self.calls is None:
            return None
        try:
            record = await self.calls.started(
                channel_id=customer,
                caller_number=job.number,
                caller_name="",
                dialled_number=job.number,
                started_at=utcnow(),
                direction="outbound",
                ticket_id=job.ticket_id,
            )
            await self.acd.log.call_agent(customer, agent)
        except Exception:  # the call goes ahead; only its record is missing
            log.exception("dial-out %s: no call record for %s", job.contact, job.number)
            return None
        return record

    async def _close(
        self, record: int | None, answered_at: datetime | None, reached: Reached, job: DialOut
    ) -> None:
        if record is None or self.calls is None:
            return
        disposition = Disposition.ANSWERED if answered_at else Disposition.NOT_REACHED
        try:
            await self.calls.ended(
                record,
                answered_at=answered_at,
                ended_at=utcnow(),
                disposition=disposition,
                outcome=reached.value,
            )
        except Exception:  # recovery closes records left open at the next start
            log.exception("dial-out %s: call record %s not closed", job.contact, record)

    async def _customer_answers(self, events: Call, customer: str, leg: str, job: DialOut) -> bool:
        """Dial the customer; True once they answered; False if not, or if the agent's
        ``leg`` hung up meanwhile."""
        self.attach(customer, events)
        spec = self.acd.router.queues.get(job.queue)
        try:
            await self.ari.originate(
                self.dial.format(number=job.number),
                customer,
                app_args="dial_out",
                caller_id=spec.caller_id if spec is not None else "",
                timeout=CUSTOMER_RING_SECONDS,
            )
        except AriError as exc:
            log.warning("dial-out %s: cannot dial %s: %s", job.contact, job.number, exc)
            return False
        event = await events.wait_for(
            lambda e: (
                (
                    isinstance(e, StasisStart | ChannelDestroyed) and e.channel.id == customer  # type: ignore[attr-defined]
                )
                or _gone(e, leg)
            ),
            CUSTOMER_RING_SECONDS + 5,
        )
        return isinstance(event, StasisStart) and event.channel.id == customer


def _gone(event: AriEvent, channel_id: str) -> bool:
    channel = getattr(event, "channel", None)
    return (
        isinstance(event, StasisEnd | ChannelDestroyed)
        and channel is not None
        and (channel.id == channel_id)
    )


__all__ = ["AgentFirstDialer", "DialOut", "Reached"]
