"""Background work that runs until cancelled: a round of work, then a wait for a wake-up
or the interval. A round that fails is logged and tried again after the interval; it never
ends the process (a database briefly away, a provider down). A round that returns
``True`` says more is waiting, and the next one starts at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def keep_working(
    work: Callable[[], Awaitable[object]],
    *,
    what: str,
    every: float,
    wake: asyncio.Event | None = None,
) -> None:
    while True:
        if wake is not None:
            wake.clear()
        try:
            more = await work()
        except Exception:
            log.exception("%s failed; will retry", what)
            more = False
        if more is True:
            continue
        if wake is None:
            await asyncio.sleep(every)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), every)
