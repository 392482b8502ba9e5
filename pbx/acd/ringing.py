"""Ring-all over ARI: one leg per agent's phone, originated at once; the first answered
leg takes the caller and every other leg is hung up (the phones stop ringing).

Every leg is attached to the caller's call before it is originated, so its events arrive
on the caller's one ordered queue like a single offer's.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from pbx.acd.queue_log import QueueEventKind
from pbx.acd.service import AcdRingAll, AcdService
from pbx.ari.errors import AriError
from pbx.ari.models import ChannelDestroyed, StasisStart
from pbx.call import Call, CallEnded

log = logging.getLogger(__name__)

AttachLeg = Callable[[str, Call], None]
DetachLeg = Callable[[str], None]


class RingAllOffer:
    def __init__(self, acd: AcdService, attach: AttachLeg, detach: DetachLeg) -> None:
        self.acd = acd
        self.attach = attach
        self.detach = detach

    async def ring(self, call: Call, offer: AcdRingAll) -> tuple[str, str] | None:
        """(agent, leg) of the first phone answered (the caller's task then records the
        answer, which frees the others); None when none answered in time (the contact
        then waits again at its place, the agents stay ready)."""
        acd = self.acd
        queue = acd.router.contact(call.id).queue
        won, refused = await self.first_answer(
            call,
            call.id,
            queue,
            offer.agents,
            offer.timeout,
            offer.routing_ms,
            caller_id=call.caller_number,
            originator=call.id,
        )
        if won is None:
            await acd.agent_changed(acd.router.no_answer(call.id, acd.now(), refused))
        return won

    async def first_answer(
        self,
        events: Call,
        contact: str,
        queue: str,
        agents: tuple[str, ...],
        timeout: float,
        routing_ms: float,
        *,
        caller_id: str,
        originator: str | None = None,
    ) -> tuple[tuple[str, str] | None, list[str]]:
        """Ring every agent's phone for ``contact``, their legs' events arriving on
        ``events``: ((agent, leg) of the first answered or None, the agents whose phones
        could not ring or turned it down). The router is left to the caller."""
        acd = self.acd
        legs: dict[str, str] = {}  # leg -> agent
        refused: list[str] = []
        for agent in agents:
            await acd.log.record(
                QueueEventKind.OFFERED,
                queue=queue,
                contact=contact,
                agent=agent,
                ring_all=True,
                routing_ms=routing_ms,
            )
            leg = f"{contact}-{uuid.uuid4().hex[:8]}"
            self.attach(leg, events)
            try:
                await events.ari.originate(
                    f"PJSIP/{agent}",
                    leg,
                    app_args="agent",
                    caller_id=caller_id,
                    timeout=max(1, round(timeout)) + 5,
                    originator=originator,
                )
            except AriError as exc:  # unregistered or unreachable: the others still ring
                log.warning("cannot ring agent %s for %s: %s", agent, contact, exc)
                self.detach(leg)
                refused.append(agent)
                continue
            legs[leg] = agent
        deadline = acd.now() + timeout
        try:
            while legs:
                event = await events.wait_for(
                    lambda e: (
                        isinstance(e, StasisStart | ChannelDestroyed) and e.channel.id in legs
                    ),  # type: ignore[attr-defined]
                    max(0.0, deadline - acd.now()),
                )
                if event is None:
                    break
                leg = event.channel.id  # type: ignore[attr-defined]
                if isinstance(event, ChannelDestroyed):
                    refused.append(legs.pop(leg))
                    continue
                agent = legs.pop(leg)
                await self._hang_up(events, legs)
                return (agent, leg), refused
        except CallEnded:
            await self._hang_up(events, legs)
            raise
        await self._hang_up(events, legs)
        for agent in agents:
            await acd.log.record(
                QueueEventKind.NO_ANSWER, queue=queue, contact=contact, agent=agent, ring_all=True
            )
        return None, refused

    @staticmethod
    async def _hang_up(call: Call, legs: dict[str, str]) -> None:
        for leg in list(legs):
            with contextlib.suppress(AriError):
                await call.ari.hangup(leg)
        legs.clear()
