"""Commands from the agent API to a bridged call, carried as events on the caller's own
ordered queue (as offers are), so the call's task applies them one at a time, in order."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict

from pbx.ari.models import AriEvent


class CallAction(StrEnum):
    HOLD = "hold"
    RESUME = "resume"
    MUTE = "mute"
    UNMUTE = "unmute"
    HANGUP = "hangup"
    TRANSFER_QUEUE = "transfer_queue"
    TRANSFER_AGENT = "transfer_agent"  # target: the extension of a ready agent
    TRANSFER_NUMBER = "transfer_number"  # target: the number; mode: blind or attended
    TRANSFER_COMPLETE = "transfer_complete"  # attended: the caller to the number
    TRANSFER_CANCEL = "transfer_cancel"  # attended: back to the caller
    CONFERENCE = "conference"  # target: the extension of the agent phone to add
    CONFERENCE_NUMBER = "conference_number"  # target: a number outside, through the trunk
    SUPERVISE = "supervise"  # target: the supervisor's extension; mode: listen/whisper/barge


class CommandRefused(Exception):
    """The call cannot do this now (e.g. resume when not on hold); the message says why."""


class AgentCommand(AriEvent):
    """Delivered to the caller's call: the agent ``agent`` asks for ``action``."""

    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    action: CallAction
    agent: str
    target: str = ""
    mode: str = ""
    reply: Any  # an asyncio.Future the call's task settles: the outcome or CommandRefused

    @classmethod
    def make(cls, action: CallAction, agent: str, target: str = "", mode: str = "") -> AgentCommand:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        return cls(
            type="SwitchboardAgentCommand",
            action=action,
            agent=agent,
            target=target,
            mode=mode,
            reply=future,
        )

    def done(self, outcome: str) -> None:
        if not self.reply.done():
            self.reply.set_result(outcome)

    def refuse(self, reason: str) -> None:
        if not self.reply.done():
            self.reply.set_exception(CommandRefused(reason))
