"""Pure logic without I/O: call states, phone numbers, settings, the background-work loop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from pbx.call_state import CallInput, CallState, IllegalTransition, next_state
from switchboard.settings import Settings, async_database_url
from switchboard.workers import keep_working
from ticketing.phone import normalise_phone


def test_call_state_machine_allows_only_real_transitions() -> None:
    assert next_state(CallState.RINGING, CallInput.ANSWER) is CallState.ANSWERED
    assert next_state(CallState.ANSWERED, CallInput.END) is CallState.ENDED
    assert next_state(CallState.RINGING, CallInput.END) is CallState.ENDED
    with pytest.raises(IllegalTransition, match="cannot answer when ended"):
        next_state(CallState.ENDED, CallInput.ANSWER)
    with pytest.raises(IllegalTransition):
        next_state(CallState.ANSWERED, CallInput.ANSWER)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+358401234567", "FI", "+358401234567"),
        ("0401234567", "FI", "+358401234567"),
        ("00358401234567", "FI", "+358401234567"),
        ("040 123 4567", "FI", "+358401234567"),
        ("0671234567", "UA", "+380671234567"),
        ("070-123 45 67", "SE", "+46701234567"),
        ("anonymous", "FI", None),
        ("", "FI", None),
        ("12", "FI", None),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw: str, region: str, expected: str | None) -> None:
    assert normalise_phone(raw, region) == expected


def test_database_urls_get_async_drivers() -> None:
    assert async_database_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_database_url("sqlite:////x/y.db") == "sqlite+aiosqlite:////x/y.db"
    assert async_database_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


def test_settings_come_from_env_over_toml_over_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "switchboard.toml"
    config.write_text("[asterisk]\nsip_port = 5070\nhttp_port = 8090\n[web]\nport = 9000\n")
    for name in ("DATABASE_URL", "SWITCHBOARD_ASTERISK__SIP_PORT", "SWITCHBOARD_WEB__PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SWITCHBOARD_CONFIG", str(config))
    monkeypatch.setenv("SWITCHBOARD_ASTERISK__SIP_PORT", "5080")
    monkeypatch.setenv("SWITCHBOARD_STATE_DIR", str(tmp_path / "state"))
    settings = Settings()
    assert settings.asterisk.sip_port == 5080  # environment wins
    assert settings.asterisk.http_port == 8090  # from the file
    assert settings.web.port == 9000
    assert settings.asterisk.ami_port == 5038  # default
    assert settings.effective_database_url == (
        f"sqlite+aiosqlite:///{tmp_path / 'state' / 'switchboard.db'}"
    )


def test_a_missing_config_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match=r"nope\.toml, which does not exist"):
        Settings()


async def test_a_failed_round_of_background_work_is_logged_and_the_work_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[str] = []
    wake, failed = asyncio.Event(), asyncio.Event()
    second = asyncio.get_running_loop().create_future()

    async def work() -> bool:
        rounds.append("round")
        if len(rounds) == 1:
            failed.set()
            raise ConnectionError("database is away")
        if len(rounds) == 2:
            return True  # more waiting: the next round comes at once
        second.set_result(None)
        return False

    with caplog.at_level(logging.ERROR, logger="switchboard.workers"):
        worker = asyncio.create_task(keep_working(work, what="threading", every=3600, wake=wake))
        await failed.wait()  # the worker runs on to its wait once we look again
        wake.set()  # new work arrives: the worker is still there to take it
        await asyncio.wait_for(second, 5)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert rounds == ["round"] * 3
    assert caplog.records[0].getMessage() == "threading failed; will retry"


def test_a_second_provisioning_run_waits_for_the_first(tmp_path: Path) -> None:
    """Two runs at once (scripts/run beside scripts/test) must not build one root twice."""
    import fcntl
    import threading

    from pbx.asterisk.runtime import MARKER, PACKAGES, provision_rootfs

    root = tmp_path / "asterisk-rootfs"
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    for package in PACKAGES:
        (info / f"{package}.list").touch()
    (root / MARKER).write_text("22.5.2\n")
    messages: list[str] = []
    waiting = threading.Event()

    def progress(message: str) -> None:
        messages.append(message)
        if message.startswith("waiting for another run"):
            waiting.set()

    results = []
    with open(root.with_name("asterisk-rootfs.lock"), "w") as first_run:
        fcntl.flock(first_run, fcntl.LOCK_EX)
        second_run = threading.Thread(
            target=lambda: results.append(provision_rootfs(root, "", "sid", progress))
        )
        second_run.start()
        assert waiting.wait(timeout=10)
        assert results == []  # still waiting while the first run holds the root
    second_run.join(timeout=10)
    assert [r.version for r in results] == ["22.5.2"]
    assert messages[-1] == f"Asterisk 22.5.2 already provisioned in {root}"
