"""What a run leaves behind: the path through the flow and where the caller ended up."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .prompts import ResolvedPrompt


class OutcomeKind(enum.StrEnum):
    QUEUE = "queue"
    TRANSFER = "transfer"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    HANGUP = "hangup"
    CALLER_HANGUP = "caller_hangup"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    target: str | None = None
    """Queue name, transfer target, mailbox or callback number."""
    priority: int | None = None
    skills: tuple[str, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        if self.kind is OutcomeKind.QUEUE:
            skills = f" with skills {', '.join(self.skills)}" if self.skills else ""
            return f"queue {self.target} (priority {self.priority}){skills}"
        if self.kind is OutcomeKind.TRANSFER:
            return f"transfer {self.target}"
        if self.kind is OutcomeKind.VOICEMAIL:
            return f"voicemail (mailbox {self.target})"
        if self.kind is OutcomeKind.CALLBACK:
            return f"callback to {self.target}"
        if self.kind is OutcomeKind.CALLER_HANGUP:
            return "caller hung up"
        if self.kind is OutcomeKind.ERROR:
            return f"error: {self.detail}"
        return "hangup"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "target": self.target,
            "priority": self.priority,
            "skills": list(self.skills),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class PathStep:
    """One node visited by a call."""

    flow: str
    node: str
    type: str
    at: datetime
    heard: tuple[ResolvedPrompt, ...] = ()
    digits: str = ""
    """Every key the caller pressed in this node, in order."""
    said: str | None = None
    """What speech recognition matched, for speech nodes."""
    outcome: str = ""
    """Plain-language result, e.g. "option 1", "timeout", "queue billing: connected"."""
    next: str | None = None
    error: str | None = None

    def describe(self) -> str:
        text = f"{self.flow}/{self.node} ({self.type})"
        if self.digits:
            text += f" keys {self.digits}"
        if self.outcome:
            text += f": {self.outcome}"
        if self.next:
            text += f" -> {self.next}"
        if self.error:
            text += f" [error: {self.error}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "node": self.node,
            "type": self.type,
            "at": self.at.isoformat(),
            "heard": [p.to_dict() for p in self.heard],
            "digits": self.digits,
            "said": self.said,
            "outcome": self.outcome,
            "next": self.next,
            "error": self.error,
        }


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    path: tuple[PathStep, ...]
    variables: dict[str, str] = field(default_factory=dict)
    language: str = "en"
    flowset_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.to_dict(),
            "path": [s.to_dict() for s in self.path],
            "variables": dict(self.variables),
            "language": self.language,
            "flowset_version": self.flowset_version,
        }
