"""The IVR flow language: YAML flows, validation, hot-reloaded snapshots, a runner over an
abstract call port, and a simulator. No telephony I/O lives here."""

from __future__ import annotations

from .models import Flow, Node
from .path import Outcome, OutcomeKind, PathStep, RunResult
from .port import (
    CallContext,
    CallerHangup,
    CallPort,
    FlowServices,
    Outage,
    QueueResult,
    Recording,
)
from .prompts import Prompt, ResolvedPrompt
from .registry import FlowRegistry, FlowSet, LoadFailed, ReloadResult, UnknownFlow
from .routes import RouteTable
from .runner import FlowRunner
from .schema import flow_json_schema
from .validate import FlowError, validate_dir, validate_file

__all__ = [
    "CallContext",
    "CallPort",
    "CallerHangup",
    "Flow",
    "FlowError",
    "FlowRegistry",
    "FlowRunner",
    "FlowServices",
    "FlowSet",
    "LoadFailed",
    "Node",
    "Outage",
    "Outcome",
    "OutcomeKind",
    "PathStep",
    "Prompt",
    "QueueResult",
    "Recording",
    "ReloadResult",
    "ResolvedPrompt",
    "RouteTable",
    "RunResult",
    "UnknownFlow",
    "flow_json_schema",
    "validate_dir",
    "validate_file",
]
