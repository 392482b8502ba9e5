"""Typed ACD errors (ValueErrors, so the CLI prints them as plain messages)."""

from __future__ import annotations


class AcdError(ValueError):
    pass


class UnknownAgent(AcdError):
    pass


class UnknownQueue(AcdError):
    pass


class UnknownTeam(AcdError):
    pass


class Duplicate(AcdError):
    pass


class InvalidAcdInput(AcdError):
    pass
