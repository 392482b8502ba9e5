"""Which tickets exist for a principal: applied inside every ticket query.

Partners see their organisation's tickets and customers their own; for anyone else a
ticket outside the scope does not exist (404, never 403), and the attempt is logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false

from ticketing.access.roles import Principal, Role
from ticketing.models import Ticket


def ticket_scope(principal: Principal) -> list[Any]:
    """SQL conditions on ``Ticket`` limiting a query to what ``principal`` may see."""
    if principal.role is Role.PARTNER:
        if principal.organisation_id is None:
            return [false()]
        return [Ticket.organisation_id == principal.organisation_id]
    if principal.role is Role.CUSTOMER:
        if principal.contact_id is None:
            return [false()]
        return [Ticket.contact_id == principal.contact_id]
    return []


def sees_internal(principal: Principal) -> bool:
    """Whether internal notes are shown to this principal (everyone but customers)."""
    return principal.role is not Role.CUSTOMER
