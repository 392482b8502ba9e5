"""Snapshots and hot reload: a bad edit never goes live; calls keep the version they began on."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pbx.ivr.port import CallContext
from pbx.ivr.registry import FlowRegistry, LoadFailed
from pbx.ivr.runner import FlowRunner
from pbx.ivr.simulate import ScriptedPort

from .helpers import MINIMAL, write_files

NOON = datetime(2026, 12, 21, 12, 0, tzinfo=UTC)
ROUTES = "default: main\n"


def make_registry(tmp_path: Path) -> FlowRegistry:
    write_files(tmp_path, {"main.yaml": MINIMAL, "routes.yaml": ROUTES})
    return FlowRegistry.load(tmp_path)


def edit(tmp_path: Path, text: str) -> None:
    (tmp_path / "main.yaml").write_text(text, encoding="utf-8")


def test_first_load_must_be_valid(tmp_path: Path) -> None:
    write_files(tmp_path, {"main.yaml": MINIMAL.replace("type: queue", "type: queu")})
    with pytest.raises(LoadFailed) as caught:
        FlowRegistry.load(tmp_path)
    assert "unknown type 'queu'" in str(caught.value)


def test_invalid_edit_keeps_serving_the_old_version(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    old = registry.current
    edit(tmp_path, MINIMAL.replace('"1": billing', '"1": billin'))
    result = registry.reload()
    assert not result.applied
    assert result.version == old.version
    assert [(e.line, e.column) for e in result.errors] == [(9, 12), (11, 3)]
    assert registry.current is old


def test_valid_edit_goes_live_with_a_new_version(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    old = registry.current
    edit(tmp_path, MINIMAL.replace("queue: billing", "queue: invoices"))
    result = registry.reload()
    assert result.applied
    assert registry.current.version == result.version != old.version
    assert registry.current.loaded_at >= old.loaded_at
    assert old.flow("main").nodes["billing"].queue == "billing"  # type: ignore[union-attr]


def test_reload_without_changes_keeps_the_snapshot(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    old = registry.current
    assert not registry.reload().applied
    assert registry.current is old


def test_poll_reloads_only_on_change(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    assert registry.poll() is None
    edit(tmp_path, MINIMAL.replace("queue: billing", "queue: invoices"))
    result = registry.poll()
    assert result is not None and result.applied
    assert registry.poll() is None
    edit(tmp_path, "name: [\n")
    rejected = registry.poll()
    assert rejected is not None and not rejected.applied
    assert registry.poll() is None  # the same bad content is not re-checked every time


class BlockedCaller(ScriptedPort):
    """Presses 1 at the first question, but only once `release` is set."""

    def __init__(self) -> None:
        super().__init__(["1"], NOON, lambda line: None)
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def read_digits(self, *args: Any, **kwargs: Any) -> str:
        self.asked.set()
        await self.release.wait()
        return await super().read_digits(*args, **kwargs)


async def test_call_in_progress_finishes_on_its_version(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    context = CallContext("c1", "+358401234567", "0800123456")
    early = BlockedCaller()
    in_progress = asyncio.create_task(FlowRunner(registry.current, early, context).run())
    await asyncio.wait_for(early.asked.wait(), timeout=5)

    edit(tmp_path, MINIMAL.replace("queue: billing", "queue: invoices"))
    assert registry.reload().applied

    late = BlockedCaller()
    late.release.set()
    new_call = await FlowRunner(registry.current, late, context).run()
    early.release.set()
    old_call = await asyncio.wait_for(in_progress, timeout=5)

    assert old_call.outcome.target == "billing"
    assert new_call.outcome.target == "invoices"
    assert old_call.flowset_version != new_call.flowset_version


async def test_watch_picks_up_an_edit(tmp_path: Path) -> None:
    registry = make_registry(tmp_path)
    old = registry.current.version
    watcher = asyncio.create_task(registry.watch(interval=0.01))
    try:
        edit(tmp_path, MINIMAL.replace("queue: billing", "queue: invoices"))
        for _ in range(500):  # bounded wait for the outcome
            if registry.current.version != old:
                break
            await asyncio.sleep(0.01)
        assert registry.current.flow("main").nodes["billing"].queue == "invoices"  # type: ignore[union-attr]
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
