"""Callbacks that keep the caller's place: a waiting caller presses the queue's callback
key, hears a confirmation and hangs up, and their contact stays in the queue where it
was (``Router.replace``). When its turn comes the agent's phone rings first; once the
agent answers, the caller's number is dialled (``calls.callback_dial``) and the two legs
are bridged.

Requests live in the controller's memory (like every waiting caller); the queue log
keeps ``callback_requested`` and ``callback_completed`` (outcome ``answered`` or
``not_reached``), so a request lost with a restarted controller is visible there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pbx.acd.queue_log import QueueEventKind
from pbx.acd.routing import Offer, RingAll
from pbx.acd.service import AcdService
from pbx.ari.client import AriClient
from pbx.ari.errors import AriError
from pbx.ari.models import AriEvent, Channel, ChannelDestroyed, StasisEnd, StasisStart
from pbx.call import Call, CallEnded
from pbx.ivr.prompts import MESSAGES, ResolvedPrompt
from pbx.media.tts import TtsError
from pbx.prompt_media import PromptMedia

log = logging.getLogger(__name__)

AttachLeg = Callable[[str, Call], None]
DetachLeg = Callable[[str], None]
CUSTOMER_RING_SECONDS = 30


@dataclass
class PendingCallback:
    contact: str
    number: str
    queue: str
    call_id: str  # the call that asked for it
    requested_at: float


class CallbackDesk:
    def __init__(
        self, acd: AcdService, ari: AriClient, attach: AttachLeg, detach: DetachLeg, dial: str
    ) -> None:
        self.acd = acd
        self.ari = ari
        self.attach = attach
        self.detach = detach
        self.dial = dial  # e.g. "PJSIP/trunk/sip:{number}@carrier:5060"
        self.pending: dict[str, PendingCallback] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, call: Call, media: PromptMedia | None) -> bool:
        """Turn the waiting caller's place into a callback, confirm and hang up; False
        (nothing changes) when an agent's phone is already ringing for the caller."""
        acd = self.acd
        waiting = acd.router.contacts.get(call.id)
        if waiting is None or waiting.agent is not None or waiting.ringing:
            return False
        contact = f"callback-{call.id}"
        queued = acd.router.replace(call.id, contact)
        acd.waiting.pop(call.id, None)
        self.pending[contact] = PendingCallback(
            contact, call.caller_number, queued.queue, call.id, acd.now()
        )
        acd.offer_handlers[contact] = self._offered
        await acd.log.record(
            QueueEventKind.CALLBACK_REQUESTED,
            queue=queued.queue,
            contact=contact,
            number=call.caller_number,
            call=call.id,
            position=acd.router.position(contact),
        )
        call.step("callback_requested", queue=queued.queue)
        if media is not None:
            language = call.language if call.language in MESSAGES["callback_done"] else "en"
            text = MESSAGES["callback_done"][language]
            try:
                spoken = await media.media([ResolvedPrompt("tts", text, language)])
            except TtsError as exc:  # the place is kept all the same
                log.error("callback %s: no confirmation prompt: %s", contact, exc)
            else:
                await call.play(spoken)
        await call.hangup()
        return True

    def _offered(self, decision: Offer | RingAll, routing_ms: float) -> None:
        agent = decision.agent if isinstance(decision, Offer) else decision.agents[0]
        task = asyncio.create_task(
            self._serve(decision.contact, agent, decision.timeout, routing_ms),
            name=f"callback-{decision.contact}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, contact: str, agent: str, timeout: float, routing_ms: float) -> None:
        acd = self.acd
        pending = self.pending[contact]
        leg = f"{contact}-{uuid.uuid4().hex[:8]}"
        events = Call(Channel(id=leg, name=f"PJSIP/{agent}"), self.ari)  # the legs' events
        await acd.log.record(
            QueueEventKind.OFFERED,
            queue=pending.queue,
            contact=contact,
            agent=agent,
            callback=True,
            routing_ms=routing_ms,
        )
        if not await self._agent_answers(events, leg, agent, pending, timeout):
            with contextlib.suppress(AriError):
                await self.ari.hangup(leg)
            self.detach(leg)
            await acd.log.record(
                QueueEventKind.NO_ANSWER, queue=pending.queue, contact=contact, agent=agent
            )
            await acd.agent_changed(acd.router.no_answer(contact, acd.now()))
            acd.wake()
            return
        await acd.answered(contact, agent)
        await acd.log.record(
            QueueEventKind.ANSWERED,
            queue=pending.queue,
            contact=contact,
            agent=agent,
            wait_seconds=acd.now() - pending.requested_at,
            callback=True,
        )
        customer = f"{contact}-c{uuid.uuid4().hex[:7]}"
        bridge: str | None = None
        outcome = "not_reached"
        talk_from: float | None = None
        try:
            if await self._customer_answers(events, customer, pending):
                bridge = uuid.uuid4().hex
                await self.ari.create_bridge(bridge)
                await self.ari.add_to_bridge(bridge, [leg, customer])
                outcome, talk_from = "answered", acd.now()
                await events.wait_for(lambda e: _gone(e, customer))
        except (CallEnded, AriError) as exc:  # the agent hung up, or a leg vanished
            log.info("callback %s ended: %s", contact, exc)
        finally:
            for channel in (customer, leg):
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel)
                self.detach(channel)
            if bridge is not None:
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(bridge)
            self.pending.pop(contact, None)
            acd.offer_handlers.pop(contact, None)
            await acd.agent_changed(acd.router.ended(contact, acd.now()))
            await acd.log.record(
                QueueEventKind.CALLBACK_COMPLETED,
                queue=pending.queue,
                contact=contact,
                agent=agent,
                number=pending.number,
                outcome=outcome,
                talk_seconds=None if talk_from is None else round(acd.now() - talk_from, 3),
            )
            acd.wake()

    async def _agent_answers(
        self, events: Call, leg: str, agent: str, pending: PendingCallback, timeout: float
    ) -> bool:
        self.attach(leg, events)
        try:
            await self.ari.originate(
                f"PJSIP/{agent}",
                leg,
                app_args="agent",
                caller_id=pending.number,
                timeout=max(1, round(timeout)) + 5,
            )
            answered = await events.wait_for(
                lambda e: isinstance(e, StasisStart) and e.channel.id == leg, timeout
            )
        except (AriError, CallEnded) as exc:
            log.warning("callback %s: agent %s not reached: %s", pending.contact, agent, exc)
            return False
        return answered is not None

    async def _customer_answers(
        self, events: Call, customer: str, pending: PendingCallback
    ) -> bool:
        """Dial the caller back; True once they answered. CallEnded if the agent leaves."""
        self.attach(customer, events)
        try:
            await self.ari.originate(
                self.dial.format(number=pending.number),
                customer,
                app_args="callback",
                caller_id=pending.queue,
                timeout=CUSTOMER_RING_SECONDS,
            )
        except AriError as exc:
            log.warning("callback %s: cannot dial %s: %s", pending.contact, pending.number, exc)
            return False
        event = await events.wait_for(
            lambda e: isinstance(e, StasisStart | ChannelDestroyed) and e.channel.id == customer,  # type: ignore[attr-defined]
            CUSTOMER_RING_SECONDS + 5,
        )
        return isinstance(event, StasisStart)


def _gone(event: AriEvent, channel_id: str) -> bool:
    channel = getattr(event, "channel", None)
    return (
        isinstance(event, StasisEnd | ChannelDestroyed)
        and channel is not None
        and (channel.id == channel_id)
    )
