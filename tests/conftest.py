"""Session-wide real components: a database (SQLite, or PostgreSQL when asked) and a real
Asterisk 22 instance on ports of its own, provisioned exactly as the run command does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import make_url

from tests.harness import Deployment, Sipp, SwitchboardProcess, running

TEST_DATABASE = os.environ.get("SWITCHBOARD_TEST_DATABASE", "sqlite")
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The Redis server that carries events between processes (scripts/test starts one)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"the event-bus tests need Redis at {REDIS_URL} (scripts/test starts it): {exc}"
        )
    return REDIS_URL


def _postgres_admin_url() -> str:
    return os.environ.get("SWITCHBOARD_TEST_POSTGRES", "postgresql://127.0.0.1/postgres")


async def _postgres(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_postgres_admin_url())
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for the session: SQLite by default, PostgreSQL on request."""
    if TEST_DATABASE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'switchboard.db'}"
        return
    if TEST_DATABASE != "postgresql":
        raise pytest.UsageError("SWITCHBOARD_TEST_DATABASE must be sqlite or postgresql")
    name = f"switchboard_test_{os.getpid()}"
    asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    url = make_url(_postgres_admin_url()).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Deployment]:
    """A real Asterisk instance of this test session, started through the CLI."""
    state = tmp_path_factory.mktemp("state")
    deployment = Deployment(
        state_dir=state, database_url=database_url, instance=f"test-{os.getpid()}"
    )
    started = deployment.cli("pbx", "start", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    upgraded = deployment.cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    try:
        yield deployment
    finally:
        stopped = deployment.cli("pbx", "stop")
        instance_dir = deployment.instance_dir()
        if stopped.returncode != 0 and instance_dir is not None:
            # never leave a test Asterisk running behind a deleted folder
            pid_file = instance_dir / "run" / "asterisk.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        if instance_dir is not None:
            shutil.rmtree(instance_dir, ignore_errors=True)


@pytest.fixture(autouse=False)
def no_channels_left(deployment: Deployment) -> Iterator[None]:
    """Every telephony test starts and ends with no channel in Asterisk."""
    deployment.asterisk("channel request hangup all")
    yield
    deployment.asterisk("channel request hangup all")


@pytest.fixture(scope="module")
def switchboard(deployment: Deployment) -> Iterator[SwitchboardProcess]:
    """``switchboard up`` with the greeting handler (answer, play, hang up) against the
    session's Asterisk (reused, not restarted)."""
    with running(deployment, SWITCHBOARD_CALLS__HANDLER="greeting") as process:
        yield process


@pytest.fixture
def sipp(deployment: Deployment, tmp_path: Path) -> Sipp:
    return Sipp(deployment, tmp_path)
