"""``switchboard notice``: publish and end planned or emergency works notices."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer

from notices.models import NoticeKind, WorksNotice
from notices.service import NoticeError, NoticeService
from switchboard.cli.common import clear_errors, fail, ready_database, say, settings
from switchboard.db import Database

T = TypeVar("T")
app = typer.Typer(help="Outages and planned works by area.", no_args_is_help=True)


def _when(text: str, zone: str) -> datetime:
    if text == "now":
        return datetime.now(ZoneInfo(zone))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not a time: use 'now' or 'YYYY-MM-DD HH:MM'")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _messages(pairs: list[str]) -> dict[str, str]:
    messages = {}
    for pair in pairs:
        language, sep, text = pair.partition("=")
        if not sep:
            fail(f"--message takes LANG=TEXT, e.g. fi='Sähkökatko alueella', not '{pair}'")
        messages[language.strip()] = text
    return messages


def _show(notice: WorksNotice, zone: str) -> str:
    local = ZoneInfo(zone)
    end = (
        notice.expected_end_at.astimezone(local).strftime("%Y-%m-%d %H:%M")
        if notice.expected_end_at
        else "open"
    )
    start = notice.starts_at.astimezone(local).strftime("%Y-%m-%d %H:%M")
    areas = ",".join(notice.areas)
    return f"#{notice.id} {notice.kind.value} {notice.title!r} areas {areas} {start} -> {end}"


async def _with_service(action: Callable[[NoticeService], Awaitable[T]]) -> T:
    db = Database(settings().effective_database_url)
    try:
        await ready_database(db)
        return await action(NoticeService(db))
    finally:
        await db.close()


@app.command()
def publish(
    kind: NoticeKind = typer.Option(..., help="emergency (an outage now) or planned"),
    title: str = typer.Option(..., help="A short title"),
    area: list[str] = typer.Option(..., help="A postcode, or '*' for the whole area; repeat"),
    message: list[str] = typer.Option(..., help="LANG=TEXT, per language (en, fi, sv, uk)"),
    starts: str = typer.Option("now", help="'now' or 'YYYY-MM-DD HH:MM' (local time)"),
    ends: str | None = typer.Option(None, help="Expected end, 'YYYY-MM-DD HH:MM'"),
) -> None:
    """Publish a notice: the IVR announces it to callers from its areas at once."""
    zone = settings().timezone
    with clear_errors():
        try:
            notice = asyncio.run(
                _with_service(
                    lambda service: service.publish(
                        kind=kind,
                        title=title,
                        message=_messages(message),
                        areas=area,
                        starts_at=_when(starts, zone),
                        expected_end_at=_when(ends, zone) if ends else None,
                    )
                )
            )
        except NoticeError as exc:
            fail(str(exc))
    say(f"published {_show(notice, zone)}")


@app.command("list")
def list_notices(
    area: str | None = typer.Option(None, help="Only those for this postcode"),
) -> None:
    """Current outages and planned works of the coming week."""
    zone = settings().timezone
    with clear_errors():
        notices = asyncio.run(_with_service(lambda service: service.current(area)))
    for notice in notices:
        say(_show(notice, zone))
    if not notices:
        say("no current notices")


@app.command()
def end(notice_id: int) -> None:
    """Mark a notice's works as finished (callers no longer hear it)."""
    zone = settings().timezone
    with clear_errors():
        try:
            notice = asyncio.run(_with_service(lambda service: service.end(notice_id)))
        except NoticeError as exc:
            fail(str(exc))
    say(f"ended {_show(notice, zone)}")
