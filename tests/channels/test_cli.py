"""``switchboard channels``: subscriptions and broadcasts from the command line."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notices.models import NoticeKind
from notices.service import NoticeService
from switchboard.cli.main import app
from switchboard.db_types import utcnow
from tests.ticketing.conftest import Desk


async def test_subscribe_broadcast_and_status_from_the_cli(
    desk: Desk, fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("SWITCHBOARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("SWITCHBOARD_CONFIG", raising=False)
    runner = CliRunner()

    async def cli(*args: str) -> tuple[int, str]:
        result = await asyncio.to_thread(runner.invoke, app, ["channels", *args])
        return result.exit_code, result.output

    code, out = await cli(
        "subscribe", "--channel", "sms", "--address", "040 123 4567", "--area", "00100"
    )
    assert code == 0 and "+358401234567 area 00100" in out
    code, out = await cli("subscribe", "--channel", "fax", "--address", "1", "--area", "1")
    assert code == 2 and "not fax" in out
    notice = await NoticeService(desk.db).publish(
        kind=NoticeKind.PLANNED,
        title="Works",
        message={"fi": "Katutöitä"},
        areas=["00100"],
        starts_at=utcnow(),
        expected_end_at=utcnow() + timedelta(hours=1),
    )
    code, out = await cli("broadcast", str(notice.id))
    assert code == 0 and "1 queued now" in out
    code, out = await cli("status", str(notice.id))
    assert code == 0 and "'queued': 1" in out
    code, out = await cli("broadcast", "999")
    assert code == 2 and "does not exist" in out
