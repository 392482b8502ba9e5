"""The life of a call as an explicit state machine, free of I/O so it is testable alone."""

from __future__ import annotations

from enum import StrEnum


class CallState(StrEnum):
    RINGING = "ringing"  # in Switchboard's hands, not answered yet
    ANSWERED = "answered"
    ENDED = "ended"


class CallInput(StrEnum):
    ANSWER = "answer"
    END = "end"


class IllegalTransition(RuntimeError):
    pass


_TRANSITIONS: dict[tuple[CallState, CallInput], CallState] = {
    (CallState.RINGING, CallInput.ANSWER): CallState.ANSWERED,
    (CallState.RINGING, CallInput.END): CallState.ENDED,
    (CallState.ANSWERED, CallInput.END): CallState.ENDED,
}


def next_state(state: CallState, event: CallInput) -> CallState:
    try:
        return _TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(f"a call cannot {event.value} when {state.value}") from None
