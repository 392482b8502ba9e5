"""``switchboard channels``: broadcast subscriptions and sending works notices to them.

Broadcasting queues the messages; the running ``switchboard up`` (its outbox) sends them
at each provider's pace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from switchboard.cli.common import clear_errors, fail, ready_database, say, settings
from switchboard.db import Database
from ticketing.errors import TicketingError

if TYPE_CHECKING:
    from channels.broadcast import Broadcasts

T = TypeVar("T")
app = typer.Typer(help="Customer channels: broadcast subscriptions.", no_args_is_help=True)


async def _with(action: Callable[[Broadcasts], Awaitable[T]]) -> T:
    from channels.broadcast import Broadcasts  # heavy: imported by the commands that use it
    from channels.service import broadcast_apps

    config = settings()
    db = Database(config.effective_database_url)
    try:
        await ready_database(db)
        apps = broadcast_apps(config.channels)
        return await action(Broadcasts(db, config.calls.default_region, apps))
    except TicketingError as exc:  # a wrong address, area or notice: say which
        raise fail(exc.message) from exc
    finally:
        await db.close()


@app.command()
def subscribe(
    channel: str = typer.Option(
        ..., help="sms or email; whatsapp, telegram or viber once configured"
    ),
    address: str = typer.Option(
        ..., help="The phone number, email address, or Telegram chat / Viber user id"
    ),
    area: str = typer.Option(..., help="A postcode, or '*' for the whole service area"),
    language: str = typer.Option("fi", help="en, fi, sv or uk"),
) -> None:
    """Subscribe an address to works notices for an area."""
    with clear_errors():
        made = asyncio.run(_with(lambda b: b.subscribe(channel, address, area, language)))
    say(f"subscription #{made.id}: {made.channel} {made.address} area {made.area}")


@app.command()
def unsubscribe(
    channel: str = typer.Option(..., help="sms or email"),
    address: str = typer.Option(..., help="The phone number or email address"),
) -> None:
    """End every subscription of an address on a channel."""
    with clear_errors():
        ended = asyncio.run(_with(lambda b: b.unsubscribe(channel, address)))
    say(f"ended {ended} subscription(s)")


@app.command()
def broadcast(notice_id: int = typer.Argument(..., help="The works notice to send")) -> None:
    """Queue a notice for every subscriber of its areas (each gets it once)."""
    with clear_errors():
        report = asyncio.run(_with(lambda b: b.send(notice_id)))
    say(f"notice #{notice_id}: {report.queued} queued now; by status {report.statuses}")


@app.command()
def status(notice_id: int = typer.Argument(..., help="The works notice")) -> None:
    """Delivery of a notice, by recipient status."""
    with clear_errors():
        counts = asyncio.run(_with(lambda b: b.statuses(notice_id)))
    say(f"notice #{notice_id}: {counts or 'not broadcast'}")
