"""Joining a long message that arrived in parts (``meta``: ``concat_ref``, ``part``,
``parts``): it is threaded once all parts are stored, or after ``PATIENCE`` with what came."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.models import ChannelInbound, InboundStatus
from switchboard.db_types import utcnow

PATIENCE = timedelta(minutes=10)


async def gather_parts(
    session: AsyncSession, message: ChannelInbound
) -> tuple[str, list[ChannelInbound]] | None:
    """The whole text and the other parts' rows; None while parts are still missing."""
    total = int(message.meta.get("parts") or 1)
    ref = message.meta.get("concat_ref")
    if total <= 1 or ref is None:
        return message.body, []
    candidates = await session.exec(
        select(ChannelInbound)
        .where(
            ChannelInbound.channel == message.channel,
            ChannelInbound.sender == message.sender,
            ChannelInbound.status == InboundStatus.RECEIVED,
            col(ChannelInbound.id) != message.id,
        )
        .with_for_update()
    )
    siblings = [row for row in candidates.all() if row.meta.get("concat_ref") == ref]
    rows = [message, *siblings]
    waited = utcnow() - min(row.received_at for row in rows)
    if len({int(row.meta.get("part") or 0) for row in rows}) < total and waited < PATIENCE:
        return None
    ordered = sorted(rows, key=lambda row: int(row.meta.get("part") or 0))
    return "".join(row.body for row in ordered), siblings
