"""Shapes of the agent API: agents' live states, their current calls, and commands."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from pbx.acd.agent_desk import AgentView
from web.schemas import DbId, Input

ReasonCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Why the agent is not ready: lowercase letters, digits, - and _",
    ),
]
QueueName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class CurrentCallOut(BaseModel):
    channel_id: str
    caller_number: str
    queue: str
    held: bool
    muted: bool


class AgentOut(BaseModel):
    extension: str
    name: str
    user_id: int | None
    state: str | None = Field(
        description="logged_out, ready, offered, on_call, wrap_up or not_ready; null when "
        "this process does not run the calls"
    )
    reason: str
    call: CurrentCallOut | None


class NotReadyIn(Input):
    reason: ReasonCode


class AgentUserIn(Input):
    user_id: DbId | None = Field(description="The web user who is this agent; null unlinks")


class QueueTransferIn(Input):
    queue: QueueName


class AgentTransferIn(Input):
    extension: str = Field(pattern=r"^[0-9]{2,8}$", description="The agent to hand over to")


class NumberTransferIn(Input):
    number: str = Field(
        pattern=r"^\+?[0-9]{3,20}$", description="The number to transfer the caller to"
    )
    attended: bool = Field(
        False, description="Talk with the number first, then complete or cancel the transfer"
    )


class DialIn(Input):
    number: str = Field(pattern=r"^\+?[0-9]{3,20}$", description="The customer's number")
    queue: QueueName | None = Field(
        None, description="Call for this queue (its caller ID); default: the agent's first"
    )
    ticket_id: DbId | None = Field(None, description="File the call on this ticket")


class ConferenceIn(Input):
    extension: str | None = Field(
        None, pattern=r"^[0-9]{2,8}$", description="The agent phone to add"
    )
    number: str | None = Field(
        None, pattern=r"^\+?[0-9]{3,20}$", description="Or a number outside to add"
    )

    @model_validator(mode="after")
    def one_party(self) -> ConferenceIn:
        if (self.extension is None) == (self.number is None):
            raise ValueError("give either extension (an agent phone) or number, not both")
        return self


class SuperviseIn(Input):
    extension: str | None = Field(
        None,
        pattern=r"^[0-9]{2,8}$",
        description="The phone to ring; omit to ring your own agent phone",
    )


def agent_out(view: AgentView) -> AgentOut:
    call = None
    if view.call is not None:
        call = CurrentCallOut(
            channel_id=view.call.call.id,
            caller_number=view.call.call.caller_number,
            queue=view.call.queue,
            held=view.call.held,
            muted=view.call.muted,
        )
    return AgentOut(
        extension=view.extension,
        name=view.name,
        user_id=view.user_id,
        state=view.state,
        reason=view.reason,
        call=call,
    )
