"""An agent's state: an enum and a pure transition function that refuses illegal moves."""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    OFFERED = "offered"  # a contact is ringing at the agent
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"  # with a reason


class AgentEvent(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    READY = "ready"
    NOT_READY = "not_ready"
    OFFER = "offer"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"  # the offer timed out or the phone refused it
    OFFER_WITHDRAWN = "offer_withdrawn"  # the caller left while the agent's phone rang
    END = "end"  # the contact ended: wrap-up starts
    WRAP_UP_DONE = "wrap_up_done"


class IllegalAgentTransition(ValueError):
    def __init__(self, state: AgentState, event: AgentEvent) -> None:
        super().__init__(f"an agent in state '{state}' cannot take '{event}'")
        self.state = state
        self.event = event


_S = AgentState
_E = AgentEvent
TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (_S.LOGGED_OUT, _E.LOGIN): _S.NOT_READY,
    (_S.NOT_READY, _E.READY): _S.READY,
    (_S.NOT_READY, _E.NOT_READY): _S.NOT_READY,  # a new reason
    (_S.NOT_READY, _E.LOGOUT): _S.LOGGED_OUT,
    (_S.NOT_READY, _E.OFFER): _S.OFFERED,  # only the agent's own call out (click-to-call)
    (_S.READY, _E.NOT_READY): _S.NOT_READY,
    (_S.READY, _E.LOGOUT): _S.LOGGED_OUT,
    (_S.READY, _E.OFFER): _S.OFFERED,
    (_S.OFFERED, _E.ANSWER): _S.ON_CALL,
    (_S.OFFERED, _E.NO_ANSWER): _S.NOT_READY,
    (_S.OFFERED, _E.OFFER_WITHDRAWN): _S.READY,
    (_S.ON_CALL, _E.END): _S.WRAP_UP,
    (_S.WRAP_UP, _E.WRAP_UP_DONE): _S.READY,
    (_S.WRAP_UP, _E.NOT_READY): _S.NOT_READY,
}


def transition(state: AgentState, event: AgentEvent) -> AgentState:
    """The state after ``event``; raises ``IllegalAgentTransition`` when it is not allowed."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalAgentTransition(state, event) from None
