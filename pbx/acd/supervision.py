"""A supervisor on an agent's call: their phone is rung, and once it answers it is joined
to a snoop channel on the agent's leg (listen: hears both sides; whisper: also speaks to
the agent only) or to the call's bridge (barge: a three-way call).

Every channel involved is a leg of the caller's call, so its events arrive on the
caller's own queue and the bridged phase drives this with them.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pbx.ari.client import AriClient
from pbx.ari.errors import AriError
from pbx.call import Call

log = logging.getLogger(__name__)

RING_SECONDS = 30


class SuperviseMode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


@dataclass
class Supervisor:
    extension: str
    mode: SuperviseMode
    leg: str  # the supervisor's phone
    snoop: str | None = None  # the snoop channel on the agent's leg (listen, whisper)
    bridge: str | None = None  # the supervisor's own bridge with the snoop channel
    agent: bool = False  # an agent added to a conference: the router keeps them busy
    joined: bool = False


class Supervision:
    """The supervisors of one bridged call, by their phone's channel id."""

    def __init__(
        self, call: Call, attach: Callable[[str, Call], None], detach: Callable[[str], None]
    ) -> None:
        self.call = call
        self.attach = attach
        self.detach = detach
        self.by_leg: dict[str, Supervisor] = {}
        self.by_snoop: dict[str, Supervisor] = {}

    def concerns(self, channel: str) -> bool:
        return channel in self.by_leg or channel in self.by_snoop

    @property
    def ari(self) -> AriClient:
        return self.call.ari

    async def ring(
        self, extension: str, mode: SuperviseMode, *, endpoint: str = "", agent: bool = False
    ) -> Supervisor:
        """Ring the supervisor's phone (or ``endpoint``, a number through the trunk);
        ``joined`` connects it once it answers."""
        leg = f"{self.call.id}-sv-{uuid.uuid4().hex[:8]}"
        self.attach(leg, self.call)
        try:
            await self.ari.originate(
                endpoint or f"PJSIP/{extension}",
                leg,
                app_args="supervisor",
                caller_id=self.call.caller_number,
                timeout=RING_SECONDS,
                originator=self.call.id,
            )
        except AriError:
            self.detach(leg)
            raise
        supervisor = Supervisor(extension, mode, leg, agent=agent)
        self.by_leg[leg] = supervisor
        return supervisor

    async def joined(self, supervisor: Supervisor, agent_leg: str, call_bridge: str) -> None:
        """The supervisor answered: barge into the call's bridge, or start a snoop channel
        on the agent's leg (``snoop_ready`` connects it once it is in the app)."""
        supervisor.joined = True
        if supervisor.mode is SuperviseMode.BARGE:
            await self.ari.add_to_bridge(call_bridge, [supervisor.leg])
            return
        snoop = f"{supervisor.leg}-snoop"
        self.attach(snoop, self.call)
        supervisor.snoop = snoop
        self.by_snoop[snoop] = supervisor
        whisper = "out" if supervisor.mode is SuperviseMode.WHISPER else "none"
        await self.ari.snoop(agent_leg, snoop, spy="both", whisper=whisper, app_args="snoop")

    async def snoop_ready(self, snoop: str) -> None:
        """The snoop channel entered the app: bridge it with the supervisor's phone."""
        supervisor = self.by_snoop[snoop]
        supervisor.bridge = uuid.uuid4().hex
        await self.ari.create_bridge(supervisor.bridge)
        await self.ari.add_to_bridge(supervisor.bridge, [snoop, supervisor.leg])

    async def end(self, leg: str) -> Supervisor | None:
        """The supervisor's phone hung up (or the call is over): tidy up their channels.
        They stay legs of the call until Asterisk reports them destroyed, so a late event
        of theirs is never taken for a new call."""
        supervisor = self.by_leg.pop(leg, None)
        if supervisor is None:
            return None
        if supervisor.snoop is not None:
            self.by_snoop.pop(supervisor.snoop, None)
        for channel in (supervisor.snoop, supervisor.leg):
            if channel is not None:
                with contextlib.suppress(AriError):
                    await self.ari.hangup(channel)
        if supervisor.bridge is not None:
            with contextlib.suppress(AriError):
                await self.ari.destroy_bridge(supervisor.bridge)
        return supervisor
