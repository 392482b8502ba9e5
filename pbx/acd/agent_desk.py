"""What the agent API does: agents' live states and their current calls, state changes,
and commands to the call (carried onto the caller's own queue), with who may do what.

Agents act only on themselves (their agent row names their web user); supervisors and
admins act on anyone. Errors are the web layer's typed ones, each with a clear message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from pbx.acd.agent_state import AgentState, IllegalAgentTransition
from pbx.acd.bridged import BridgedCall
from pbx.acd.commands import AgentCommand, CallAction, CommandRefused
from pbx.acd.directory import AcdDirectory
from pbx.acd.errors import AcdError, UnknownAgent
from pbx.acd.models import Agent
from pbx.acd.runtime import Acd
from pbx.acd.supervision import SuperviseMode
from switchboard.db import Database
from ticketing.access.models import User
from ticketing.access.roles import Principal, Role
from ticketing.errors import Conflict, Forbidden, InvalidInput, NotFound, TicketingError
from ticketing.models import Ticket

COMMAND_TIMEOUT = 10.0  # seconds for the call's task to carry a command out
LEADS = (Role.ADMIN, Role.SUPERVISOR)


class AcdUnavailable(TicketingError):
    """Live agent state is kept by the process running the controller (503)."""


@dataclass(frozen=True)
class AgentView:
    extension: str
    name: str
    user_id: int | None
    state: str | None  # None: this process does not run the ACD
    reason: str
    call: BridgedCall | None


class AgentDesk:
    def __init__(self, db: Database, acd: Acd | None) -> None:
        self.db = db
        self.directory = AcdDirectory(db)
        self.acd = acd

    # --- reading ----------------------------------------------------------------------
    async def agents(self) -> list[AgentView]:
        return [self._view(agent) for agent in await self.directory.agents()]

    async def agent(self, extension: str) -> AgentView:
        return self._view(await self._row(extension))

    def _view(self, agent: Agent) -> AgentView:
        state: str | None = None
        reason = ""
        call = None
        if self.acd is not None:
            status = self.acd.service.router.agents.get(agent.extension)
            state = (status.state if status else AgentState.LOGGED_OUT).value
            reason = status.reason if status else ""
            call = self.acd.bridged.of(agent.extension)
        return AgentView(agent.extension, agent.name, agent.user_id, state, reason, call)

    async def _row(self, extension: str) -> Agent:
        try:
            return await self.directory.agent(extension)
        except UnknownAgent:
            raise NotFound(f"no agent has extension {extension}") from None

    async def authorised(self, principal: Principal, extension: str) -> Agent:
        """The agent, if ``principal`` may act on them (404 before 403)."""
        agent = await self._row(extension)
        if principal.role in LEADS:
            return agent
        if principal.user_id is not None and agent.user_id == principal.user_id:
            return agent
        raise Forbidden(f"you may act only on your own agent, not on {extension}")

    # --- the link to a web user --------------------------------------------------------
    async def link_user(self, extension: str, user_id: int | None) -> AgentView:
        async with self.db.transaction() as session:
            agent = (
                await session.exec(select(Agent).where(col(Agent.extension) == extension))
            ).first()
            if agent is None:
                raise NotFound(f"no agent has extension {extension}")
            if user_id is not None:
                user = await session.get(User, user_id)
                if user is None:
                    raise InvalidInput(f"no user has id {user_id}")
                if user.role not in (Role.AGENT, *LEADS):
                    raise InvalidInput(f"a {user.role.value} user cannot be an agent")
            agent.user_id = user_id
            session.add(agent)
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict(f"user {user_id} is already another agent") from None
        return self._view(agent)

    # --- state ------------------------------------------------------------------------
    async def set_state(self, extension: str, state: AgentState, reason: str = "") -> AgentView:
        service = self._live().service
        if extension not in service.router.agents:
            await service.load()  # an agent added since the last load
        try:
            if state is AgentState.READY:
                current = service.router.agent(extension).state
                if current is AgentState.LOGGED_OUT:  # logging in from the desk
                    if not service.phone_registered(extension):
                        raise Conflict(
                            f"agent {extension}'s phone is not registered: register SIP"
                            f" account {extension} on a phone or the softphone, then log in"
                        )
                    await service.agent_changed(service.router.login(extension, service.now()))
                await service.set_ready(extension)
            elif state is AgentState.NOT_READY:
                await service.set_not_ready(extension, reason)
            elif state is AgentState.LOGGED_OUT:
                await service.agent_changed(service.router.logout(extension, service.now()))
            else:
                raise InvalidInput(f"an agent cannot be set to '{state.value}'")
        except IllegalAgentTransition as exc:
            raise Conflict(
                f"agent {extension} is {exc.state.value} and cannot become {state.value} now"
            ) from None
        except UnknownAgent:
            raise NotFound(f"no agent has extension {extension}") from None
        return await self.agent(extension)

    # --- the current call -----------------------------------------------------------
    async def supervise(
        self, principal: Principal, extension: str, mode: SuperviseMode, phone: str | None
    ) -> AgentView:
        """Ring the supervisor's phone (``phone``, else their own agent's) and connect it
        to the agent's call as ``mode`` says."""
        if principal.role not in LEADS:
            raise Forbidden("only supervisors and admins may listen, whisper or barge in")
        await self._row(extension)
        if phone is None:
            own = await self._linked(principal)
            if own is None:
                raise InvalidInput("you have no agent phone: name the extension to ring")
            phone = own.extension
        elif not await self._exists(phone):
            raise InvalidInput(f"no agent phone has extension {phone}")
        if phone == extension:
            raise InvalidInput("a supervisor cannot supervise their own call")
        return await self.command(extension, CallAction.SUPERVISE, phone, mode.value)

    async def conference(self, extension: str, phone: str) -> AgentView:
        """Ring the agent phone ``phone`` and add it to ``extension``'s call (three-way)."""
        if phone == extension:
            raise InvalidInput("an agent cannot add themselves to their own call")
        if not await self._exists(phone):
            raise InvalidInput(f"no agent phone has extension {phone}")
        return await self.command(extension, CallAction.CONFERENCE, phone)

    async def conference_number(self, extension: str, number: str) -> AgentView:
        """Ring ``number`` through the trunk and add it to ``extension``'s call."""
        return await self.command(extension, CallAction.CONFERENCE_NUMBER, number)

    async def _linked(self, principal: Principal) -> Agent | None:
        if principal.user_id is None:
            return None
        async with self.db.session() as session:
            statement = select(Agent).where(col(Agent.user_id) == principal.user_id)
            return (await session.exec(statement)).first()

    async def _exists(self, extension: str) -> bool:
        try:
            await self.directory.agent(extension)
        except UnknownAgent:
            return False
        return True

    async def call_out(
        self, extension: str, number: str, queue: str | None, ticket_id: int | None
    ) -> AgentView:
        """Click-to-call: ``extension``'s phone first, then ``number``."""
        dialing = self._live().click_to_call
        if dialing is None:
            raise Conflict("calls out need calls.callback_dial (the trunk) to be set")
        if queue is not None and queue not in {q.name for q in await self.directory.queues()}:
            raise InvalidInput(f"no queue is named '{queue}'")
        if ticket_id is not None:
            async with self.db.session() as session:
                if await session.get(Ticket, ticket_id) is None:
                    raise InvalidInput(f"no ticket has id {ticket_id}")
        try:
            await dialing.dial(extension, number, queue, ticket_id)
        except AcdError as exc:
            raise Conflict(str(exc)) from None
        return await self.agent(extension)

    async def command(
        self, extension: str, action: CallAction, target: str = "", mode: str = ""
    ) -> AgentView:
        if action is CallAction.TRANSFER_QUEUE:
            names = {queue.name for queue in await self.directory.queues()}
            if target not in names:
                raise InvalidInput(f"no queue is named '{target}'")
        if action is CallAction.TRANSFER_AGENT:
            if target == extension:
                raise InvalidInput("an agent cannot transfer a call to themselves")
            if not await self._exists(target):
                raise InvalidInput(f"no agent has extension {target}")
        call = self._live().bridged.of(extension)
        if call is None:
            raise Conflict(f"agent {extension} has no call in progress")
        command = AgentCommand.make(action, extension, target, mode)
        call.call.deliver(command)
        try:
            await asyncio.wait_for(asyncio.shield(command.reply), COMMAND_TIMEOUT)
        except CommandRefused as exc:
            raise Conflict(str(exc)) from None
        except TimeoutError:
            raise Conflict(f"the call of agent {extension} ended before '{action}'") from None
        return await self.agent(extension)

    def _live(self) -> Acd:
        if self.acd is None:
            raise AcdUnavailable("agents' live state is served by the process running the calls")
        return self.acd
