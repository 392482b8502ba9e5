"""Opt-outs: keywords (STOP and its Finnish, Swedish and Ukrainian equivalents), email
unsubscribe links and users leaving a bot, and the list of people who used them."""

from __future__ import annotations

import unicodedata

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.models import OptOut, Subscription

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "LOPETA", "STOPP", "СТОП"}
)
START_WORDS = frozenset({"START", "UNSTOP", "ALOITA", "СТАРТ"})


def keyword(body: str) -> str | None:
    """ "stop" or "start" when the whole message is such a keyword (any case, punctuation)."""
    word = unicodedata.normalize("NFKC", body).strip().strip(".!").upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


async def opted_out(session: AsyncSession, channel: str, address: str) -> bool:
    return await session.get(OptOut, (channel, address)) is not None


async def stop(session: AsyncSession, channel: str, address: str, why: str) -> None:
    """Send nothing more to ``address`` on ``channel`` (a keyword, an unsubscribe link, a
    user leaving a bot): no replies, no broadcasts, until they start again."""
    if await session.get(OptOut, (channel, address)) is None:
        session.add(OptOut(channel=channel, address=address, keyword=why[:32]))
    await session.exec(
        update(Subscription)
        .where(col(Subscription.channel) == channel, col(Subscription.address) == address)
        .values(active=False)
    )


async def start(session: AsyncSession, channel: str, address: str) -> None:
    existing = await session.get(OptOut, (channel, address))
    if existing is not None:
        await session.delete(existing)


async def record(session: AsyncSession, channel: str, address: str, body: str) -> str | None:
    """Apply a keyword message; what it did ("stop"/"start"), None for ordinary messages."""
    action = keyword(body)
    if action == "stop":
        await stop(session, channel, address, body.strip())
    elif action == "start":
        await start(session, channel, address)
    return action
