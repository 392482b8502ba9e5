"""Calls through IVR flows: the call handler that runs the flow for the dialled number.

Each call takes the registry's current flow snapshot when it starts and keeps it to the
end, so a supervisor's edit never changes a call in progress. The path through the flow
replaces the low-level steps in the call record. A flow that fails sends the caller back
to the dialplan (an apology) instead of leaving dead air.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pbx.ari_port import AcdQueue, AriCallPort
from pbx.call import Call
from pbx.ivr.path import OutcomeKind
from pbx.ivr.port import CallContext, FlowServices
from pbx.ivr.registry import FlowRegistry
from pbx.ivr.runner import FlowRunner
from pbx.prompt_media import PromptMedia
from ticketing.phone import normalise_phone

log = logging.getLogger(__name__)


class FlowFailed(RuntimeError):
    pass


class FlowCallHandler:
    def __init__(
        self,
        registry: FlowRegistry,
        media: PromptMedia,
        recordings: Path,
        services: FlowServices,
        *,
        default_region: str,
        queue_hold_seconds: float,
    ) -> None:
        self.registry = registry
        self.media = media
        self.recordings = recordings
        self.services = services
        self.default_region = default_region
        self.queue_hold_seconds = queue_hold_seconds
        self.queue_handler: AcdQueue | None = None  # the ACD, bound by the system

    async def __call__(self, call: Call) -> None:
        if call.recovered:  # its flow state died with the previous controller
            await call.hangup()
            return
        port = AriCallPort(call, self.media, self.recordings, self.queue_handler)
        context = CallContext(
            call_id=call.id,
            caller=normalise_phone(call.caller_number, self.default_region) or call.caller_number,
            dialled=call.dialled_number,
        )
        runner = FlowRunner(
            self.registry.current,
            port,
            context,
            self.services,
            on_step=lambda step: call.path.append({"action": "node", **step.to_dict()}),
        )
        call.path.clear()
        call.trace_commands = False  # the flow's own steps say what the caller heard
        result = await runner.run()
        call.flow = result.path[0].flow if result.path else ""
        call.outcome = result.outcome.kind.value
        summary = result.to_dict()
        summary.pop("path")
        summary["key_to_prompt_ms"] = call.key_to_prompt_ms
        call.path.append({"action": "result", "at": port.now().isoformat(), **summary})
        if result.outcome.kind is OutcomeKind.ERROR:
            raise FlowFailed(result.outcome.detail)
        if result.outcome.kind is OutcomeKind.QUEUE and port.handoff is not None:
            # No ACD queue of that name: music on hold for as long as the queue allows.
            await call.hold_music(self.queue_hold_seconds)
