"""The ticket status workflow as a pure transition table; illegal moves raise.

new -> open -> pending -> resolved -> closed, with shortcuts a real desk needs (resolve or
close straight from new or open: "answered on the spot"), and reopening a resolved or
closed ticket, which takes a comment (the customer's reason).
"""

from __future__ import annotations

from ticketing.errors import Conflict
from ticketing.models import TicketStatus

S = TicketStatus

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
REOPENABLE = frozenset({S.RESOLVED, S.CLOSED})
INITIAL = frozenset({S.NEW, S.OPEN, S.CLOSED})  # closed: answered on the spot


class InvalidTransition(Conflict):
    pass


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target in TRANSITIONS[current]:
        return
    if current == target:
        raise InvalidTransition(f"the ticket is already {current.value}")
    if target is S.OPEN and current in REOPENABLE:
        raise InvalidTransition(
            f"a {current.value} ticket is reopened with a comment: use reopen, not a status change"
        )
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (it is final)"
    raise InvalidTransition(
        f"cannot move a ticket from {current.value} to {target.value}; allowed: {allowed}"
    )


def check_reopen(current: TicketStatus) -> None:
    if current not in REOPENABLE:
        raise InvalidTransition(
            f"only resolved or closed tickets can be reopened; this one is {current.value}"
        )
