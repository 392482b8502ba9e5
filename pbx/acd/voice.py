"""A caller in a queue, in the caller's own call task: hold music, offers to agents'
phones (originated over ARI), the bridge on answer, and the queue log of it all.

Every event (the caller's, the agent leg's, and the ACD's offers) arrives on the call's
one ordered queue, so this reads as a plain sequence.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from pbx.acd.bridged import BridgedCall, BridgedCalls, BridgedPhase, Requeue
from pbx.acd.callbacks import CallbackDesk
from pbx.acd.queue_log import QueueEventKind
from pbx.acd.recording import QueueRecorder
from pbx.acd.ringing import RingAllOffer
from pbx.acd.routing import LeaveReason
from pbx.acd.service import AcdLeftQueue, AcdOffered, AcdRingAll, AcdService
from pbx.acd.transfers import connect_elsewhere
from pbx.acd.waiting import CallbackChosen, WaitingRoom
from pbx.ari.errors import AriConflict, AriError, AriNotFound
from pbx.ari.models import ChannelDestroyed, StasisStart
from pbx.call import Call, CallEnded
from pbx.prompt_media import PromptMedia

log = logging.getLogger(__name__)

AttachLeg = Callable[[str, Call], None]
DetachLeg = Callable[[str], None]


class VoiceQueue:
    """Runs one caller through the ACD; returns when the call is over or left the queue."""

    def __init__(
        self,
        acd: AcdService,
        attach: AttachLeg,
        detach: DetachLeg,
        bridged: BridgedCalls | None = None,
    ) -> None:
        self.acd = acd
        self.attach = attach
        self.detach = detach
        self.bridged = bridged if bridged is not None else BridgedCalls()
        self.media: PromptMedia | None = None  # announcements need text-to-speech
        self.callbacks: CallbackDesk | None = None  # None: callers cannot be dialled back
        self.recorder: QueueRecorder | None = None  # None: no queue records conversations
        self.dial = ""  # the trunk's dial string with {number}: transfers to numbers

    async def serve(
        self,
        call: Call,
        queue: str,
        priority: int,
        skills: dict[str, int] | None = None,
        agent: str | None = None,
    ) -> bool:
        """True once an agent answered; False when the caller left the queue unanswered
        (max wait, a full queue or nobody to serve it, with no overflow), so an IVR flow
        can go on at its queue node's ``next``.
        With ``agent`` (a transfer to them) only that agent is offered the caller first."""
        acd = self.acd
        ari = call.ari
        entered = acd.now()
        acd.enqueue(call, queue, priority, skills, agent)
        call.step("queue", queue=queue)
        await acd.log.record(QueueEventKind.ENTERED, queue=queue, contact=call.id)
        agent: str | None = None
        leg: str | None = None
        bridge: str | None = None
        answered_at: float | None = None
        requeue: Requeue | None = None  # the caller was transferred to a queue or agent
        handoff: str | None = None  # ... or to this channel (a number outside)
        try:
            await ari.start_moh(call.id)
            while True:
                room = WaitingRoom(acd, self.media, callbacks=self.callbacks is not None)
                event = await room.wait(
                    call, lambda e: isinstance(e, AcdOffered | AcdRingAll | AcdLeftQueue)
                )
                if isinstance(event, CallbackChosen) and self.callbacks is not None:
                    if await self.callbacks.request(call, self.media):  # keeps the place
                        return True
                    continue  # an agent's phone already rings: the offer comes next
                if isinstance(event, AcdLeftQueue):
                    turned_away = event.reason != LeaveReason.MAX_WAIT
                    await acd.log.record(
                        QueueEventKind.TURNED_AWAY if turned_away else QueueEventKind.MAX_WAIT,
                        queue=event.queue,
                        contact=call.id,
                        wait_seconds=acd.now() - entered,
                        reason=event.reason,
                    )
                    return False
                queue = acd.router.contact(call.id).queue
                if isinstance(event, AcdRingAll):
                    rang = await RingAllOffer(acd, self.attach, self.detach).ring(call, event)
                    if rang is None:
                        acd.wake()
                        continue
                    agent, leg = rang
                    break
                assert isinstance(event, AcdOffered)
                agent = event.agent
                await acd.log.record(
                    QueueEventKind.OFFERED,
                    queue=queue,
                    contact=call.id,
                    agent=agent,
                    routing_ms=event.routing_ms,
                )
                leg = await self._ring(call, agent, event.timeout)
                if leg is not None:
                    break
                await acd.log.record(
                    QueueEventKind.NO_ANSWER, queue=queue, contact=call.id, agent=agent
                )
                await acd.agent_changed(acd.router.no_answer(call.id, acd.now()))
                agent = None
                acd.wake()
            waited = acd.now() - entered
            await acd.answered(call.id, agent)
            bridge = uuid.uuid4().hex
            await ari.create_bridge(bridge)
            with contextlib.suppress(AriNotFound, AriConflict):
                await ari.stop_moh(call.id)
            await ari.add_to_bridge(bridge, [call.id, leg])
            call.step("bridged", agent=agent)
            await acd.log.record(
                QueueEventKind.ANSWERED,
                queue=queue,
                contact=call.id,
                agent=agent,
                wait_seconds=waited,
            )
            await acd.log.call_agent(call.id, agent)
            answered_at = acd.now()
            session = BridgedCall(call, queue, agent, leg, bridge)
            phase = BridgedPhase(self.bridged, acd, self.attach, self.detach, self.recorder)
            phase.dial = self.dial
            requeue = await phase.run(session)
            handoff = session.handoff
            await self._complete(call, queue, agent, answered_at)
            if requeue is None and handoff is None:
                await call.hangup()
        except CallEnded:
            contact = acd.router.contacts.get(call.id)
            if contact is not None and contact.answered:
                await self._complete(call, contact.queue, contact.agent or "", answered_at)
            elif contact is not None:
                _, changed = acd.router.withdraw(call.id, acd.now())
                await acd.agent_changed(changed)
                await acd.log.record(
                    QueueEventKind.ABANDONED,
                    queue=contact.queue,
                    contact=call.id,
                    agent=agent or "",
                    wait_seconds=acd.now() - entered,
                )
            raise
        finally:
            acd.leave(call.id)
            if leg is not None:
                with contextlib.suppress(AriError):
                    await ari.hangup(leg)
            if bridge is not None:
                with contextlib.suppress(AriError):
                    await ari.destroy_bridge(bridge)
        if handoff is not None:  # the agent is free; the caller talks with the number
            await connect_elsewhere(call, handoff, self.detach)
            return True
        if requeue is not None:  # the caller re-enters the ACD where they were sent
            return await self.serve(call, requeue.queue, priority, agent=requeue.agent)
        return True

    async def _ring(self, call: Call, agent: str, timeout: float) -> str | None:
        """Originate to the agent's phone; the leg's id once answered, else None."""
        leg = f"{call.id}-{uuid.uuid4().hex[:8]}"
        self.attach(leg, call)
        try:
            await call.ari.originate(
                f"PJSIP/{agent}",
                leg,
                app_args="agent",
                caller_id=call.caller_number,
                timeout=max(1, round(timeout)) + 5,
                originator=call.id,
            )
        except AriError as exc:  # unregistered or unreachable: the next agent is tried
            log.warning("cannot ring agent %s for call %s: %s", agent, call.id, exc)
            self.detach(leg)
            return None
        try:
            event = await call.wait_for(
                lambda e: isinstance(e, StasisStart | ChannelDestroyed) and e.channel.id == leg,  # type: ignore[attr-defined]
                timeout,
            )
        except CallEnded:
            with contextlib.suppress(AriError):
                await call.ari.hangup(leg)
            raise
        if isinstance(event, StasisStart):
            return leg
        if event is None:  # nobody answered in time
            with contextlib.suppress(AriError):
                await call.ari.hangup(leg)
        return None

    async def _complete(
        self, call: Call, queue: str, agent: str, answered_at: float | None
    ) -> None:
        acd = self.acd
        await acd.agent_changed(acd.router.ended(call.id, acd.now()))
        talk = None if answered_at is None else round(acd.now() - answered_at, 3)
        await acd.log.record(
            QueueEventKind.COMPLETED, queue=queue, contact=call.id, agent=agent, talk_seconds=talk
        )
        acd.wake()


__all__ = ["VoiceQueue"]
