"""Transfers of a bridged caller to a number outside, through the trunk (the dial string
of ``calls.callback_dial``): blind (the caller waits on hold music while the number rings,
and is connected when it answers) or attended (the agent talks with the number first, then
completes or cancels). A number that does not answer gives the caller back to the agent.

Once the caller is handed over, ``connect_elsewhere`` keeps the caller and the number
bridged until either hangs up; the agent is free.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pbx.ari.errors import AriConflict, AriError, AriNotFound
from pbx.ari.models import AriEvent, ChannelDestroyed, StasisEnd
from pbx.call import Call

log = logging.getLogger(__name__)

RING_SECONDS = 30


@dataclass
class PendingTransfer:
    leg: str  # the number's channel
    number: str
    attended: bool
    held_before: bool  # the caller was on hold already: leave them so if it fails
    answered: bool = False
    cancelled: bool = False


async def hold_caller(call: Call, bridge: str) -> None:
    """The caller leaves the bridge and hears music on hold."""
    await call.ari.remove_from_bridge(bridge, [call.id])
    await call.ari.start_moh(call.id)


async def resume_caller(call: Call, bridge: str) -> None:
    with contextlib.suppress(AriNotFound, AriConflict):
        await call.ari.stop_moh(call.id)
    await call.ari.add_to_bridge(bridge, [call.id])


async def ring_number(
    call: Call, dial: str, number: str, attach: Callable[[str, Call], None]
) -> str:
    """Originate to ``number`` through ``dial``; the new leg's id (its events arrive on
    the caller's queue: StasisStart when answered, ChannelDestroyed when it never is)."""
    leg = f"{call.id}-tr-{uuid.uuid4().hex[:8]}"
    attach(leg, call)
    await call.ari.originate(
        dial.format(number=number),
        leg,
        app_args="transfer",
        caller_id=call.caller_number,
        timeout=RING_SECONDS,
        originator=call.id,
    )
    return leg


async def connect_elsewhere(call: Call, leg: str, detach: Callable[[str], None]) -> None:
    """The caller and the transfer target talk until either hangs up."""
    ari = call.ari
    bridge = uuid.uuid4().hex
    try:
        await ari.create_bridge(bridge)
        with contextlib.suppress(AriNotFound, AriConflict):
            await ari.stop_moh(call.id)
        await ari.add_to_bridge(bridge, [call.id, leg])
        call.step("connected", leg=leg)
        await call.wait_for(lambda e: leg_ended(e, leg))
        await call.hangup()
    finally:
        with contextlib.suppress(AriError):
            await ari.hangup(leg)
        with contextlib.suppress(AriError):
            await ari.destroy_bridge(bridge)
        detach(leg)


def leg_ended(event: AriEvent, leg: str) -> bool:
    channel = getattr(event, "channel", None)
    return (
        isinstance(event, StasisEnd | ChannelDestroyed)
        and channel is not None
        and (channel.id == leg)
    )
