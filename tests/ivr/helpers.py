"""Shared helpers for the IVR tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pbx.ivr.port import CallerHangup
from pbx.ivr.prompts import ResolvedPrompt
from pbx.ivr.registry import FlowSet, build_flowset
from pbx.ivr.simulate import ScriptedPort, Simulation, simulate
from pbx.ivr.validate import read_sources

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "ivr_flows"

MINIMAL = """\
name: main
language: en
start: menu
nodes:
  menu:
    type: menu
    prompt: {say: "For billing, press 1."}
    options:
      "1": billing
    next: bye
  billing:
    type: queue
    queue: billing
  bye:
    type: hangup
"""


def write_files(directory: Path, files: Mapping[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def load_flowset(directory: Path) -> FlowSet:
    flowset, errors = build_flowset(read_sources(directory))
    assert not errors, "\n".join(str(e) for e in errors)
    assert flowset is not None
    return flowset


async def run_flow(
    directory: Path, flow_text: str, keys: list[str] | None = None, **kwargs: Any
) -> Simulation:
    """Write `flow_text` as main.yaml and simulate a call through it."""
    write_files(directory, {"main.yaml": flow_text})
    return await simulate(load_flowset(directory), "main", keys=keys or [], **kwargs)


class InterruptingPort(ScriptedPort):
    """A scripted caller who presses `key` during the first interruptible prompt."""

    def __init__(self, key: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key: str | None = key

    async def play(
        self, prompts: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        await super().play(prompts, interruptible=interruptible)
        if interruptible and self.key:
            key, self.key = self.key, None
            return key
        return None


class HangingUpPort(ScriptedPort):
    """A scripted caller who hangs up at the `after`-th question or prompt."""

    def __init__(self, after: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.left = after

    def _tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise CallerHangup

    async def play(
        self, prompts: Sequence[ResolvedPrompt], *, interruptible: bool = True
    ) -> str | None:
        self._tick()
        return await super().play(prompts, interruptible=interruptible)

    async def read_digits(self, *args: Any, **kwargs: Any) -> str:
        self._tick()
        return await super().read_digits(*args, **kwargs)
