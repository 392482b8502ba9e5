"""Run one call through a flow: node by node, recording the path.

The controller creates one `FlowRunner` per call with the registry's current snapshot and
awaits `run()`. The result says where the caller ended up (queue, transfer, voicemail,
callback, hangup, caller hung up, error) and holds the path to store with the call.

Who hangs up: the runner hangs up after a hangup node, a voicemail/callback without
`next`, a queue overflow or failed transfer without `next`, and a runaway flow. After an
unexpected error it does not: the controller decides (e.g. send the caller to an operator
instead of leaving dead air).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from .handlers_actions import (
    run_branch,
    run_goto_flow,
    run_hangup,
    run_hours,
    run_http_lookup,
    run_outages,
    run_play,
    run_queue,
    run_set,
    run_ticket,
    run_transfer,
    run_voicemail,
)
from .handlers_input import (
    run_callback,
    run_collect,
    run_language,
    run_menu,
    run_speech,
    run_survey,
)
from .models import (
    BranchNode,
    CallbackNode,
    CollectNode,
    GotoFlowNode,
    HangupNode,
    HoursNode,
    HttpLookupNode,
    LanguageNode,
    MenuNode,
    OutagesNode,
    PlayNode,
    QueueNode,
    SetNode,
    SpeechNode,
    SurveyNode,
    TicketNode,
    TransferNode,
    VoicemailNode,
)
from .path import Outcome, OutcomeKind, PathStep, RunResult
from .port import CallContext, CallerHangup, CallPort, FlowServices
from .registry import FlowSet, UnknownFlow
from .session import Session, StepLog, Transition

logger = logging.getLogger(__name__)

DEFAULT_MAX_STEPS = 500

Handler = Callable[[Session, Any], Awaitable[Transition]]
HANDLERS: dict[type, Handler] = {
    PlayNode: run_play,
    MenuNode: run_menu,
    CollectNode: run_collect,
    BranchNode: run_branch,
    HoursNode: run_hours,
    LanguageNode: run_language,
    HttpLookupNode: run_http_lookup,
    SetNode: run_set,
    QueueNode: run_queue,
    VoicemailNode: run_voicemail,
    CallbackNode: run_callback,
    TransferNode: run_transfer,
    SurveyNode: run_survey,
    TicketNode: run_ticket,
    OutagesNode: run_outages,
    SpeechNode: run_speech,
    GotoFlowNode: run_goto_flow,
    HangupNode: run_hangup,
}

_RUNNER_HANGS_UP = {OutcomeKind.HANGUP, OutcomeKind.VOICEMAIL, OutcomeKind.CALLBACK}


class FlowRunner:
    def __init__(
        self,
        flowset: FlowSet,
        port: CallPort,
        context: CallContext,
        services: FlowServices | None = None,
        *,
        max_steps: int = DEFAULT_MAX_STEPS,
        on_step: Callable[[PathStep], None] | None = None,
    ) -> None:
        self.flowset = flowset
        self.port = port
        self.context = context
        self.services = services or FlowServices()
        self.max_steps = max_steps
        self.on_step = on_step
        self.path: list[PathStep] = []

    async def run(self, flow: str | None = None) -> RunResult:
        """Run `flow`, or the flow routes.yaml gives for the dialled number."""
        try:
            first = self.flowset.flow(flow) if flow else self.flowset.flow_for(self.context.dialled)
        except UnknownFlow as exc:
            return RunResult(
                Outcome(OutcomeKind.ERROR, detail=str(exc)),
                (),
                flowset_version=self.flowset.version,
            )
        self.path = []
        session = Session(self.flowset, first, self.port, self.context, self.services)
        session.enter(first)
        outcome = await self._run(session, first.start)
        return RunResult(
            outcome,
            tuple(self.path),
            dict(session.variables),
            session.language,
            self.flowset.version,
        )

    async def _run(self, s: Session, node_id: str) -> Outcome:
        try:
            await self.port.answer()
            while True:
                if len(self.path) >= self.max_steps:
                    return await self._runaway(s, node_id)
                transition = await self._step(s, node_id)
                if transition.end is not None:
                    if transition.end.kind in _RUNNER_HANGS_UP:
                        await self._hang_up()
                    return transition.end
                if transition.flow is not None:
                    s.enter(self.flowset.flow(transition.flow))
                    node_id = s.flow.start
                elif transition.next is not None:
                    node_id = transition.next
                else:  # pragma: no cover - validation guarantees a way on
                    await self._hang_up()
                    return s.ended()
        except CallerHangup:
            return s.left or Outcome(OutcomeKind.CALLER_HANGUP)
        except Exception as exc:
            logger.exception(
                "flow %s failed at node %s (call %s)", s.flow.name, node_id, self.context.call_id
            )
            self._record(s, node_id, "error", s.port.now(), "failed", None, f"{exc!r}")
            return Outcome(OutcomeKind.ERROR, detail=f"node {node_id}: {exc}")

    async def _step(self, s: Session, node_id: str) -> Transition:
        node = s.flow.nodes[node_id]
        s.step = StepLog()
        at = self.port.now()
        try:
            transition = await HANDLERS[type(node)](s, node)
        except CallerHangup:
            self._record(s, node_id, node.type, at, "caller hung up", None, None)
            raise
        outcome = "; ".join([*s.step.notes, transition.outcome])
        target = transition.next or (f"flow {transition.flow}" if transition.flow else None)
        self._record(s, node_id, node.type, at, outcome, target, s.step.error)
        return transition

    async def _runaway(self, s: Session, node_id: str) -> Outcome:
        detail = f"flow ran more than {self.max_steps} steps without ending"
        logger.error(
            "%s: %s (call %s, node %s)", s.flow.name, detail, self.context.call_id, node_id
        )
        s.step = StepLog()
        self._record(s, node_id, "guard", self.port.now(), "stopped", None, detail)
        await self._hang_up()
        return Outcome(OutcomeKind.ERROR, detail=detail)

    async def _hang_up(self) -> None:
        with contextlib.suppress(CallerHangup):  # the caller was quicker
            await self.port.hangup()

    def _record(
        self,
        s: Session,
        node_id: str,
        node_type: str,
        at: datetime,
        outcome: str,
        target: str | None,
        error: str | None,
    ) -> None:
        step = PathStep(
            flow=s.flow.name,
            node=node_id,
            type=node_type,
            at=at,
            heard=tuple(s.step.heard),
            digits=s.step.digits,
            said=s.step.said,
            outcome=outcome,
            next=target,
            error=error,
        )
        self.path.append(step)
        if self.on_step is not None:
            self.on_step(step)
