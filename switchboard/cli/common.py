"""What every CLI command shares: settings, logging, and turning failures into messages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError

from pbx.ami import AmiError
from pbx.ari.errors import AriError
from pbx.asterisk.instance import AsteriskStartError
from pbx.asterisk.runtime import AsteriskUnavailable
from pbx.ivr.registry import LoadFailed
from switchboard.bus import BusUnavailable
from switchboard.db import Database, DatabaseError
from switchboard.ports import PortInUse
from switchboard.settings import Settings, load_settings

EXPECTED_FAILURES = (
    AsteriskUnavailable,
    AsteriskStartError,
    AriError,
    AmiError,
    BusUnavailable,
    DatabaseError,
    LoadFailed,
    PortInUse,
    FileNotFoundError,
    ValueError,
)


def settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    except FileNotFoundError as exc:
        fail(str(exc))


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def say(message: str) -> None:
    typer.echo(message)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Known failures end the command with their message and exit code 2, no traceback."""
    try:
        yield
    except EXPECTED_FAILURES as exc:
        fail(str(exc))


Action = Callable[[], None]


async def ready_database(db: Database) -> None:
    """Reachable and at the newest schema, or a DatabaseError saying what to do."""
    from switchboard.migrate import require_current  # alembic: only for commands that need it

    await db.check()
    await require_current(db)
