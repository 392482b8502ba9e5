"""Agents: live state, ready / not ready / logout, and control of the current call."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from pbx.acd.agent_desk import LEADS, AcdUnavailable, AgentDesk, AgentView
from pbx.acd.agent_state import AgentState
from pbx.acd.commands import CallAction
from pbx.acd.supervision import SuperviseMode
from ticketing.access.roles import Principal
from ticketing.errors import Forbidden
from web.deps import CallReader, Context, UserManager
from web.schemas_agents import (
    AgentOut,
    AgentTransferIn,
    AgentUserIn,
    ConferenceIn,
    DialIn,
    NotReadyIn,
    NumberTransferIn,
    QueueTransferIn,
    SuperviseIn,
    agent_out,
)

router = APIRouter(prefix="/api/agents", tags=["agents"])

Extension = Annotated[str, Path(pattern=r"^[0-9]{2,8}$", description="The agent's extension")]


def get_desk(context: Context) -> AgentDesk:
    return AgentDesk(context.db, context.acd)


Desk = Annotated[AgentDesk, Depends(get_desk)]


async def require_lead(principal: CallReader) -> Principal:
    if principal.role not in LEADS:
        raise Forbidden("only supervisors and admins may listen, whisper or barge in")
    return principal


Lead = Annotated[Principal, Depends(require_lead)]


async def _live(step: Awaitable[AgentView]) -> AgentView:
    try:
        return await step
    except AcdUnavailable as exc:
        raise HTTPException(503, exc.message) from None


@router.get("")
async def list_agents(desk: Desk, _actor: CallReader) -> list[AgentOut]:
    """Every agent with their state (and not-ready reason) and current call."""
    return [agent_out(view) for view in await desk.agents()]


@router.get("/{extension}")
async def get_agent(extension: Extension, desk: Desk, _actor: CallReader) -> AgentOut:
    return agent_out(await desk.agent(extension))


@router.put("/{extension}/user")
async def link_user(
    extension: Extension, body: AgentUserIn, desk: Desk, _actor: UserManager
) -> AgentOut:
    """Name the web user who is this agent (they may then control their own calls)."""
    return agent_out(await desk.link_user(extension, body.user_id))


@router.post("/{extension}/ready")
async def set_ready(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    await desk.authorised(actor, extension)
    return agent_out(await _live(desk.set_state(extension, AgentState.READY)))


@router.post("/{extension}/not-ready")
async def set_not_ready(
    extension: Extension, body: NotReadyIn, desk: Desk, actor: CallReader
) -> AgentOut:
    await desk.authorised(actor, extension)
    step = desk.set_state(extension, AgentState.NOT_READY, body.reason)
    return agent_out(await _live(step))


@router.post("/{extension}/logout")
async def logout(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    await desk.authorised(actor, extension)
    return agent_out(await _live(desk.set_state(extension, AgentState.LOGGED_OUT)))


async def _command(
    desk: AgentDesk,
    actor: Principal,
    extension: str,
    action: CallAction,
    target: str = "",
    mode: str = "",
) -> AgentOut:
    await desk.authorised(actor, extension)
    return agent_out(await _live(desk.command(extension, action, target, mode)))


@router.post("/{extension}/call/dial")
async def dial(extension: Extension, body: DialIn, desk: Desk, actor: CallReader) -> AgentOut:
    """Click-to-call: your phone rings first; once you answer, the customer's number is
    dialled with the queue's caller ID. You may be ready or not ready (then you are not
    ready again, with the same reason, once the call and wrap-up are over); the call is
    filed on a ticket."""
    await desk.authorised(actor, extension)
    return agent_out(await _live(desk.call_out(extension, body.number, body.queue, body.ticket_id)))


@router.post("/{extension}/call/hold")
async def hold(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    """Put the caller on hold: they hear music until the call is resumed."""
    return await _command(desk, actor, extension, CallAction.HOLD)


@router.post("/{extension}/call/resume")
async def resume(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    return await _command(desk, actor, extension, CallAction.RESUME)


@router.post("/{extension}/call/mute")
async def mute(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    """The caller stops hearing the agent (the agent still hears the caller)."""
    return await _command(desk, actor, extension, CallAction.MUTE)


@router.post("/{extension}/call/unmute")
async def unmute(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    return await _command(desk, actor, extension, CallAction.UNMUTE)


@router.post("/{extension}/call/hangup")
async def hang_up(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    return await _command(desk, actor, extension, CallAction.HANGUP)


@router.post("/{extension}/call/transfer-to-queue")
async def transfer_to_queue(
    extension: Extension, body: QueueTransferIn, desk: Desk, actor: CallReader
) -> AgentOut:
    """Blind transfer: the caller re-enters the ACD in ``queue``; the agent wraps up."""
    return await _command(desk, actor, extension, CallAction.TRANSFER_QUEUE, body.queue)


@router.post("/{extension}/call/transfer-to-agent")
async def transfer_to_agent(
    extension: Extension, body: AgentTransferIn, desk: Desk, actor: CallReader
) -> AgentOut:
    """Blind transfer to a named agent who is ready: their phone rings for the caller
    (who hears music); if they do not answer, the caller waits for the queue's agents."""
    return await _command(desk, actor, extension, CallAction.TRANSFER_AGENT, body.extension)


@router.post("/{extension}/call/transfer")
async def transfer_to_number(
    extension: Extension, body: NumberTransferIn, desk: Desk, actor: CallReader
) -> AgentOut:
    """Transfer the caller to a number through the trunk. Blind: the caller hears music
    until it answers, then talks with it. Attended: you talk with it first, then complete
    or cancel. A number that does not answer gives the caller back to you."""
    mode = "attended" if body.attended else "blind"
    return await _command(desk, actor, extension, CallAction.TRANSFER_NUMBER, body.number, mode)


@router.post("/{extension}/call/transfer/complete")
async def complete_transfer(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    """Attended transfer: the caller and the number talk; you leave the call."""
    return await _command(desk, actor, extension, CallAction.TRANSFER_COMPLETE)


@router.post("/{extension}/call/transfer/cancel")
async def cancel_transfer(extension: Extension, desk: Desk, actor: CallReader) -> AgentOut:
    """Attended transfer: hang up on the number and go back to the caller."""
    return await _command(desk, actor, extension, CallAction.TRANSFER_CANCEL)


@router.post("/{extension}/call/conference")
async def conference(
    extension: Extension, body: ConferenceIn, desk: Desk, actor: CallReader
) -> AgentOut:
    """Three-way call: ring another agent's phone (who must be ready, and is busy while
    in the call) or a number outside, and add it to the call when answered."""
    await desk.authorised(actor, extension)
    if body.number is not None:
        return agent_out(await _live(desk.conference_number(extension, body.number)))
    assert body.extension is not None
    return agent_out(await _live(desk.conference(extension, body.extension)))


async def _supervise(
    desk: AgentDesk, actor: Principal, extension: str, mode: SuperviseMode, body: SuperviseIn
) -> AgentOut:
    return agent_out(await _live(desk.supervise(actor, extension, mode, body.extension)))


@router.post("/{extension}/call/listen")
async def listen(extension: Extension, body: SuperviseIn, desk: Desk, actor: Lead) -> AgentOut:
    """Supervisors: your phone rings, then you hear both sides; nobody hears you."""
    return await _supervise(desk, actor, extension, SuperviseMode.LISTEN, body)


@router.post("/{extension}/call/whisper")
async def whisper(extension: Extension, body: SuperviseIn, desk: Desk, actor: Lead) -> AgentOut:
    """Supervisors: you hear both sides and only the agent hears you."""
    return await _supervise(desk, actor, extension, SuperviseMode.WHISPER, body)


@router.post("/{extension}/call/barge")
async def barge(extension: Extension, body: SuperviseIn, desk: Desk, actor: Lead) -> AgentOut:
    """Supervisors: you join the call; the caller and the agent both hear you."""
    return await _supervise(desk, actor, extension, SuperviseMode.BARGE, body)
