"""Typed failures of the ticketing services; the web layer maps each onto one status code."""

from __future__ import annotations


class TicketingError(Exception):
    """Base class: the message is written for the person who made the request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TicketingError):
    """The thing does not exist, or the caller may not know that it does (404)."""


class Conflict(TicketingError):
    """The request clashes with the current state: a stale version, a duplicate (409)."""


class InvalidInput(TicketingError):
    """The request is well-formed but not acceptable (422)."""


class Unauthenticated(TicketingError):
    """No credentials, or wrong ones (401)."""


class Forbidden(TicketingError):
    """Known caller whose role does not allow this (403)."""


class TooLarge(TicketingError):
    """An upload over the configured limit (413)."""
