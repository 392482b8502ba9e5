"""The bridged phase of a queued call: the caller and an agent talk, and the agent's
commands (hold, mute, hang up, transfer) arrive on the caller's own ordered queue.

``BridgedCalls`` is the registry the agent API uses to find an agent's current call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from pbx.acd.agent_state import AgentState
from pbx.acd.commands import AgentCommand, CallAction
from pbx.acd.queue_log import QueueEventKind
from pbx.acd.recording import QueueRecorder
from pbx.acd.service import AcdService
from pbx.acd.supervision import SuperviseMode, Supervision
from pbx.acd.transfers import (
    PendingTransfer,
    hold_caller,
    leg_ended,
    resume_caller,
    ring_number,
)
from pbx.ari.errors import AriError
from pbx.ari.models import AriEvent, ChannelDestroyed, StasisEnd, StasisStart
from pbx.call import Call

TRANSFER_ACTIONS = (
    CallAction.TRANSFER_NUMBER,
    CallAction.TRANSFER_COMPLETE,
    CallAction.TRANSFER_CANCEL,
)
AttachLeg = Callable[[str, Call], None]
DetachLeg = Callable[[str], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requeue:
    """Where a blind transfer sends the caller back into the ACD: a queue, and with
    ``agent`` only that agent until they do not answer."""

    queue: str
    agent: str | None = None


@dataclass
class BridgedCall:
    """One caller bridged with one agent's leg."""

    call: Call
    queue: str
    agent: str
    leg: str
    bridge: str
    held: bool = False
    muted: bool = False
    supervision: Supervision | None = None
    transfer: PendingTransfer | None = None
    handoff: str | None = None  # the caller was transferred to this channel


class BridgedCalls:
    """Agents' current calls, by extension (touched only from the event loop)."""

    def __init__(self) -> None:
        self.by_agent: dict[str, BridgedCall] = {}

    def of(self, agent: str) -> BridgedCall | None:
        return self.by_agent.get(agent)


class BridgedPhase:
    """Runs a bridged call until the agent's leg ends (returns None) or the caller is
    transferred to a queue or an agent (returns where to); the caller hanging up raises
    CallEnded."""

    def __init__(
        self,
        calls: BridgedCalls,
        acd: AcdService,
        attach: AttachLeg,
        detach: DetachLeg,
        recorder: QueueRecorder | None = None,
    ) -> None:
        self.calls = calls
        self.acd = acd
        self.attach = attach
        self.detach = detach
        self.recorder = recorder
        self.dial = ""  # how to reach a number outside (empty: no transfers to numbers)

    async def run(self, session: BridgedCall) -> Requeue | None:
        supervision = Supervision(session.call, self.attach, self.detach)
        session.supervision = supervision
        self.calls.by_agent[session.agent] = session
        await self._record(session)

        def wanted(event: AriEvent) -> bool:
            return (
                isinstance(event, AgentCommand)
                or leg_ended(event, session.leg)
                or supervision.concerns(_channel(event))
                or (session.transfer is not None and _channel(event) == session.transfer.leg)
            )

        try:
            while True:
                event = await session.call.wait_for(wanted)
                assert event is not None  # no timeout: an event, or CallEnded
                if supervision.concerns(_channel(event)):
                    await self._supervisor_event(session, supervision, event)
                    continue
                if session.transfer is not None and _channel(event) == session.transfer.leg:
                    await self._transfer_event(session, event)
                    if session.handoff is not None:
                        return None
                    continue
                if not isinstance(event, AgentCommand):
                    return None
                try:
                    requeue = await self._apply(session, event)
                except AriError as exc:
                    log.warning("call %s: %s failed: %s", session.call.id, event.action, exc)
                    event.refuse(f"Asterisk refused to {event.action.value}: {exc}")
                    continue
                if requeue is not None:
                    return requeue
                if session.handoff is not None:
                    return None
        finally:
            if self.calls.by_agent.get(session.agent) is session:
                del self.calls.by_agent[session.agent]
            for leg in list(supervision.by_leg):
                await self._end_supervisor(session, supervision, leg)
            pending = session.transfer
            if pending is not None and session.handoff != pending.leg:
                with contextlib.suppress(AriError):
                    await session.call.ari.hangup(pending.leg)
                self.detach(pending.leg)

    async def _transfer_event(self, session: BridgedCall, event: AriEvent) -> None:
        """The number answered (blind: hand the caller over; attended: consult), or it
        never did or hung up (the caller comes back to the agent)."""
        pending = session.transfer
        assert pending is not None
        call = session.call
        data = {"kind": "number", "target": pending.number}
        if isinstance(event, StasisStart):
            pending.answered = True
            if not pending.attended:
                await self._hand_over(session, pending, "blind")
                return
            await call.ari.add_to_bridge(session.bridge, [pending.leg])
            await self._log(session, QueueEventKind.CONSULTING, data)
            return
        if not isinstance(event, StasisEnd | ChannelDestroyed):
            return
        session.transfer = None
        self.detach(pending.leg)
        if pending.cancelled:
            return
        await self._log(session, QueueEventKind.TRANSFER_FAILED, data)
        if not pending.held_before and session.held:
            await resume_caller(call, session.bridge)
            session.held = False

    async def _hand_over(self, session: BridgedCall, pending: PendingTransfer, mode: str) -> None:
        session.handoff = pending.leg
        data = {"kind": "number", "target": pending.number, "mode": mode}
        await self._log(session, QueueEventKind.TRANSFERRED, data)

    async def _log(self, session: BridgedCall, kind: QueueEventKind, data: dict[str, str]) -> None:
        session.call.step(kind.value, agent=session.agent, **data)
        await self.acd.log.record(
            kind, queue=session.queue, contact=session.call.id, agent=session.agent, **data
        )

    async def _transfer(self, session: BridgedCall, command: AgentCommand) -> bool:
        """Start, complete or cancel a transfer to a number; False when refused."""
        pending = session.transfer
        call = session.call
        if command.action is CallAction.TRANSFER_NUMBER:
            if not self.dial:
                command.refuse("transfers to numbers need calls.callback_dial (the trunk)")
                return False
            if pending is not None:
                command.refuse(f"a transfer to {pending.number} is already in progress")
                return False
            held_before = session.held
            if not held_before:
                await hold_caller(call, session.bridge)
                session.held = True
            leg = await ring_number(call, self.dial, command.target, self.attach)
            session.transfer = PendingTransfer(
                leg, command.target, command.mode == "attended", held_before
            )
            return True
        if pending is None or not pending.attended or not pending.answered:
            command.refuse("no answered attended transfer is in progress")
            return False
        if command.action is CallAction.TRANSFER_COMPLETE:
            await self._hand_over(session, pending, "attended")
            return True
        pending.cancelled = True
        with contextlib.suppress(AriError):
            await call.ari.hangup(pending.leg)
        await self._log(
            session, QueueEventKind.TRANSFER_CANCELLED, {"kind": "number", "target": pending.number}
        )
        if not pending.held_before:
            await resume_caller(call, session.bridge)
            session.held = False
        return True

    async def _record(self, session: BridgedCall) -> None:
        """Start the queue's recording of the conversation, if its policy says so."""
        if self.recorder is None:
            return
        call = session.call
        try:
            row = await self.recorder.start(
                call.ari, session.bridge, call.id, session.queue, session.agent
            )
        except AriError as exc:  # the call goes on unrecorded rather than failing
            log.warning("call %s: cannot record the conversation: %s", call.id, exc)
            return
        if row is not None:
            call.step("recording", agent=session.agent)
            await self.acd.log.record(
                QueueEventKind.RECORDING,
                queue=session.queue,
                contact=call.id,
                agent=session.agent,
                recording=row.recording,
            )

    async def _supervisor_event(
        self, session: BridgedCall, supervision: Supervision, event: AriEvent
    ) -> None:
        channel = _channel(event)
        if channel in supervision.by_snoop:
            leg = supervision.by_snoop[channel].leg
            if isinstance(event, StasisStart):
                try:
                    await supervision.snoop_ready(channel)
                except AriError as exc:
                    log.warning("call %s: snoop %s not bridged: %s", session.call.id, channel, exc)
                    await self._end_supervisor(session, supervision, leg)
            elif isinstance(event, StasisEnd | ChannelDestroyed):
                await self._end_supervisor(session, supervision, leg)
            return
        leg = channel
        supervisor = supervision.by_leg[leg]
        if isinstance(event, StasisStart):
            try:
                await supervision.joined(supervisor, session.leg, session.bridge)
            except AriError as exc:
                log.warning("call %s: supervisor %s not joined: %s", session.call.id, leg, exc)
                await self._end_supervisor(session, supervision, leg)
                return
            if supervisor.agent:
                await self.acd.agent_changed(self.acd.router.engaged_answered(supervisor.extension))
        elif isinstance(event, StasisEnd | ChannelDestroyed):
            await self._end_supervisor(session, supervision, leg)

    async def _end_supervisor(
        self, session: BridgedCall, supervision: Supervision, leg: str
    ) -> None:
        """A supervisor's or conference party's phone left; an agent who was added to the
        conference wraps up (or is ready again if their phone only rang)."""
        ended = await supervision.end(leg)
        if ended is None or not ended.agent:
            return
        queue = self.acd.router.queues.get(session.queue)
        wrapup = queue.wrapup if queue is not None else 0
        router = self.acd.router
        await self.acd.agent_changed(router.disengage(ended.extension, self.acd.now(), wrapup))
        self.acd.wake()

    async def _apply(self, session: BridgedCall, command: AgentCommand) -> Requeue | None:
        if command.agent != session.agent:
            command.refuse(f"agent {command.agent} is not on this call")
            return None
        action = command.action
        ari = session.call.ari
        if action in TRANSFER_ACTIONS:
            if await self._transfer(session, command):
                command.done(action.value)
            return None
        kind: QueueEventKind | None = None
        data: dict[str, str] = {}
        requeue = None
        if action is CallAction.HOLD:
            if session.held:
                command.refuse("the caller is already on hold")
                return None
            await hold_caller(session.call, session.bridge)
            session.held, kind = True, QueueEventKind.HELD
        elif action is CallAction.RESUME:
            if not session.held:
                command.refuse("the caller is not on hold")
                return None
            await resume_caller(session.call, session.bridge)
            session.held, kind = False, QueueEventKind.RESUMED
        elif action is CallAction.MUTE:
            await ari.mute(session.leg, "in")
            session.muted, kind = True, QueueEventKind.MUTED
        elif action is CallAction.UNMUTE:
            await ari.unmute(session.leg, "in")
            session.muted, kind = False, QueueEventKind.UNMUTED
        elif action is CallAction.HANGUP:
            kind = QueueEventKind.AGENT_HANGUP
        elif action is CallAction.SUPERVISE:
            assert session.supervision is not None
            mode = SuperviseMode(command.mode)
            await session.supervision.ring(command.target, mode)
            kind = QueueEventKind.SUPERVISED
            data = {"supervisor": command.target, "mode": mode.value}
        elif action is CallAction.CONFERENCE:
            assert session.supervision is not None
            refusal = self._not_free(session, command.target, "join a conference")
            if refusal:
                command.refuse(refusal)
                return None
            router = self.acd.router
            await self.acd.agent_changed(router.engage(command.target, self.acd.now()))
            try:
                await session.supervision.ring(command.target, SuperviseMode.BARGE, agent=True)
            except AriError:
                changed = router.disengage(command.target, self.acd.now(), 0)
                await self.acd.agent_changed(changed)
                raise
            kind, data = QueueEventKind.CONFERENCED, {"target": command.target}
        elif action is CallAction.CONFERENCE_NUMBER:
            assert session.supervision is not None
            if not self.dial:
                command.refuse("calls to numbers need calls.callback_dial (the trunk)")
                return None
            endpoint = self.dial.format(number=command.target)
            await session.supervision.ring(command.target, SuperviseMode.BARGE, endpoint=endpoint)
            kind = QueueEventKind.CONFERENCED
            data = {"target": command.target, "kind": "number"}
        elif action is CallAction.TRANSFER_QUEUE:
            if not await self._queue_exists(command.target):
                command.refuse(f"no queue is named '{command.target}'")
                return None
            kind, data = QueueEventKind.TRANSFERRED, {"kind": "queue", "target": command.target}
            requeue = Requeue(command.target)
        elif action is CallAction.TRANSFER_AGENT:
            refusal = self._not_free(session, command.target, "take a transfer")
            if refusal:
                command.refuse(refusal)
                return None
            kind, data = QueueEventKind.TRANSFERRED, {"kind": "agent", "target": command.target}
            requeue = Requeue(session.queue, command.target)
        session.call.step(action.value, agent=session.agent, **data)
        assert kind is not None
        await self.acd.log.record(
            kind, queue=session.queue, contact=session.call.id, agent=session.agent, **data
        )
        command.done(action.value)
        if action is CallAction.HANGUP:
            await session.call.hangup()
        return requeue

    def _not_free(self, session: BridgedCall, target: str, purpose: str) -> str:
        """Why ``target`` cannot ``purpose`` now ('' when they can)."""
        status = self.acd.router.agents.get(target)
        if status is None:
            return f"no agent has extension {target}"
        if status.state is not AgentState.READY:
            return f"agent {target} is {status.state.value}, not ready to {purpose}"
        return ""

    async def _queue_exists(self, name: str) -> bool:
        if not self.acd.knows_queue(name):
            await self.acd.load()  # a queue added since the last load
        return self.acd.knows_queue(name)


def _channel(event: AriEvent) -> str:
    channel = getattr(event, "channel", None)
    return "" if channel is None else str(channel.id)


__all__ = ["BridgedCall", "BridgedCalls", "BridgedPhase", "Requeue", "leg_ended"]
