"""The outbound path: reply entries enter the outbox, the outbox sends them.

An agent answers through the ordinary thread API with a reply entry whose channel is a
customer channel (``email``, ``sms``...). ``collect`` turns each such entry, once (the
outbox row's entry id is unique), into an outbox row addressed to the contact's identity
on that channel. ``send_due`` claims due rows with a lease (a crash mid-send retries after
it), sends them through the adapter, and records the result: sent with the provider's id,
or retried with exponential backoff, or failed with an internal event entry on the ticket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels import optout
from channels.adapter import ChannelAdapter, Outbound, SendError
from channels.models import ChannelOutbox, MessageRef, OutboxStatus
from switchboard.db import Database
from switchboard.db_types import utcnow
from switchboard.workers import keep_working
from ticketing.models import ContactIdentity, EntryKind, Ticket, TicketEntry

log = logging.getLogger(__name__)
COLLECT_MARGIN = 10_000
RECORD_EVERY = 200  # sent rows recorded a commit


class Outbox:
    def __init__(
        self,
        db: Database,
        adapters: Mapping[str, ChannelAdapter],
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 30.0,
        lease_seconds: float = 120.0,
        per_second: Mapping[str, float] | None = None,
        batch: int = 100,
        concurrency: int = 8,
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.lease_seconds = lease_seconds
        self.per_second = dict(per_second or {})  # the provider's throttle, per channel
        self.batch = batch
        self.concurrency = concurrency
        self._next_send: dict[str, float] = {}
        self._due = 0
        self._seen_upto = 0  # entries below this (less a margin) were already looked at

    async def run(self, interval: float = 2.0) -> None:
        await keep_working(self._round, what="sending replies", every=interval)

    async def _round(self) -> bool:
        await self.collect()
        await self.send_due()
        return self.busy  # after a full batch, go on at once

    @property
    def busy(self) -> bool:
        """The last round found a full batch: more is probably waiting."""
        return self._due >= self.batch

    async def collect(self) -> int:
        """Queue every reply entry on a customer channel that has no outbox row yet.

        Each scan starts a margin below the highest entry seen, not at it: ids are taken
        before commit, so a reply committed late may carry a lower id than one seen.
        """
        waiting = exists().where(ChannelOutbox.entry_id == TicketEntry.id)
        async with self.db.session() as session:
            entries = (
                await session.exec(
                    select(TicketEntry)
                    .where(
                        col(TicketEntry.id) > self._seen_upto - COLLECT_MARGIN,
                        TicketEntry.kind == EntryKind.REPLY,
                        col(TicketEntry.channel).in_(list(self.adapters)),
                        ~waiting,
                    )
                    .order_by(col(TicketEntry.id))
                    .limit(500)
                )
            ).all()
            newest = (await session.exec(select(func.max(TicketEntry.id)))).one()
        if len(entries) < 500 and newest is not None:
            self._seen_upto = max(self._seen_upto, newest)
        queued = 0
        for entry in entries:
            try:
                async with self.db.transaction() as session:
                    await self._enqueue(session, entry)
                queued += 1
            except IntegrityError:
                pass  # another collector queued it
        return queued

    async def _enqueue(self, session: AsyncSession, entry: TicketEntry) -> None:
        adapter = self.adapters[entry.channel]
        ticket = await session.get(Ticket, entry.ticket_id)
        assert ticket is not None
        recipient = await _recipient(session, ticket, adapter)
        row = ChannelOutbox(
            channel=entry.channel, entry_id=entry.id, ticket_id=ticket.id, recipient=recipient
        )
        problem = ""
        if not recipient:
            problem = f"the contact has no {adapter.identity.value} to send to"
        elif await optout.opted_out(session, entry.channel, recipient):
            problem = f"{recipient} opted out of {entry.channel} messages"
        if problem:
            row.status = OutboxStatus.FAILED
            row.last_error = problem
            session.add(row)
            await session.flush()
            _failure_entry(session, ticket, row)
            return
        draft = await adapter.compose(session, ticket, entry, recipient)
        row.subject, row.body, row.meta = draft.subject[:300], draft.body, draft.meta
        session.add(row)
        await session.flush()
        for ref in draft.refs:
            if await session.get(MessageRef, ref) is None:
                session.add(MessageRef(ref=ref, ticket_id=ticket.id))

    async def send_due(self) -> int:
        """Claim a batch of due rows and send them, up to ``concurrency`` recipients at a
        time on each channel (within its throttle); how many were sent. Successes are
        recorded together, ``RECORD_EVERY`` rows a commit, not one commit a message."""
        rows = await self._claim_batch()
        self._due = len(rows)
        limits = {row.channel: asyncio.Semaphore(self.concurrency) for row in rows}
        # One recipient's messages go one after another, in order; recipients in parallel.
        by_recipient: dict[tuple[str, str], list[ChannelOutbox]] = {}
        for row in rows:
            by_recipient.setdefault((row.channel, row.recipient), []).append(row)
        pending: list[tuple[int, str]] = []
        total = 0

        async def record() -> None:
            nonlocal total
            taken = pending[:]
            pending.clear()
            await self._record_sent(taken)
            total += len(taken)

        async def in_order(queue: list[ChannelOutbox]) -> None:
            async with limits[queue[0].channel]:
                for row in queue:
                    await self._pace(row.channel)
                    provider_id = await self._send(row)
                    if provider_id is not None:
                        assert row.id is not None
                        pending.append((row.id, provider_id))
                        if len(pending) >= RECORD_EVERY:
                            await record()

        await asyncio.gather(*(in_order(q) for q in by_recipient.values()))
        await record()
        return total

    async def _record_sent(self, sent: list[tuple[int, str]]) -> None:
        if not sent:
            return
        table = ChannelOutbox.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                status=OutboxStatus.SENT,
                provider_id=bindparam("sent_as"),
                sent_at=utcnow(),
                attempts=table.c.attempts + 1,
                last_error="",
            )
        )
        async with self.db.transaction() as session:
            connection = await session.connection()
            await connection.execute(
                statement,
                [{"row_id": row_id, "sent_as": sent_as[:255]} for row_id, sent_as in sent],
            )

    async def _claim_batch(self) -> list[ChannelOutbox]:
        """Push due rows' next attempt past a lease in one update; the rows this sender
        won (another sender's update re-checks the condition and skips them)."""
        now = utcnow()
        lease = now + timedelta(seconds=self.lease_seconds)
        due = (
            select(ChannelOutbox.id)
            .where(
                ChannelOutbox.status == OutboxStatus.QUEUED,
                ChannelOutbox.next_attempt_at <= now,
                col(ChannelOutbox.channel).in_(list(self.adapters)),
            )
            .order_by(col(ChannelOutbox.id))
            .limit(self.batch)
        )
        async with self.db.transaction() as session:
            claimed = await session.exec(
                update(ChannelOutbox)
                .where(
                    col(ChannelOutbox.id).in_(due.scalar_subquery()),
                    col(ChannelOutbox.status) == OutboxStatus.QUEUED,
                    col(ChannelOutbox.next_attempt_at) <= now,
                )
                .values(next_attempt_at=lease)
                .returning(col(ChannelOutbox.id))
                .execution_options(synchronize_session=False)
            )
            ids = list(claimed.scalars().all())  # type: ignore[attr-defined]
            if not ids:
                return []
            rows = await session.exec(
                select(ChannelOutbox)
                .where(col(ChannelOutbox.id).in_(ids))
                .order_by(col(ChannelOutbox.id))
            )
            return list(rows.all())

    async def _pace(self, channel: str) -> None:
        """Keep to the provider's rate: at most ``per_second[channel]`` sends a second."""
        rate = self.per_second.get(channel)
        if not rate:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._next_send.get(channel, now))
        self._next_send[channel] = at + 1 / rate
        if at > now:
            await asyncio.sleep(at - now)

    async def _send(self, row: ChannelOutbox) -> str | None:
        """Send one row: the provider's id for it, None when it failed (recorded here)."""
        assert row.id is not None
        adapter = self.adapters[row.channel]
        message = Outbound(row.id, row.recipient, row.subject, row.body, row.meta)
        try:
            sent = await adapter.send(message)
        except SendError as exc:
            await self._failed(row.id, str(exc), permanent=exc.permanent)
            return None
        except Exception as exc:  # a bug or an unexpected provider answer: retry, loudly
            log.exception("sending outbox %s over %s failed", row.id, row.channel)
            await self._failed(row.id, f"{exc.__class__.__name__}: {exc}", permanent=False)
            return None
        return sent.provider_id

    async def _failed(self, outbox_id: int, error: str, *, permanent: bool) -> None:
        async with self.db.transaction() as session:
            row = await session.get(ChannelOutbox, outbox_id)
            assert row is not None
            row.attempts += 1
            row.last_error = error[:500]
            if permanent or row.attempts >= self.max_attempts:
                row.status = OutboxStatus.FAILED
                ticket = await session.get(Ticket, row.ticket_id) if row.ticket_id else None
                if ticket is not None:
                    _failure_entry(session, ticket, row)
            else:
                delay = self.backoff_seconds * 2 ** (row.attempts - 1)
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            session.add(row)
        log.warning("outbox %s: %s (attempt %s)", outbox_id, error, row.attempts)

    async def mark(self, channel: str, provider_id: str, status: str, error: str = "") -> bool:
        """A delivery report from the provider: failed ones become visible on the ticket."""
        async with self.db.transaction() as session:
            return await delivery_report(session, channel, provider_id, status, error)


async def delivery_report(
    session: AsyncSession, channel: str, provider_id: str, status: str, error: str = ""
) -> bool:
    """Record a provider's report on the message it sent as ``provider_id``; whether the
    message is ours. "failed" / "undelivered" fail the row and say so on the ticket."""
    row = (
        await session.exec(
            select(ChannelOutbox).where(
                ChannelOutbox.channel == channel, ChannelOutbox.provider_id == provider_id
            )
        )
    ).first()
    if row is None:
        return False
    row.meta = {**row.meta, "delivery": status}
    if status in ("failed", "undelivered") and row.status is not OutboxStatus.FAILED:
        row.status = OutboxStatus.FAILED
        row.last_error = (error or f"provider reported {status}")[:500]
        ticket = await session.get(Ticket, row.ticket_id) if row.ticket_id else None
        if ticket is not None:
            _failure_entry(session, ticket, row)
    session.add(row)
    return True


async def read_up_to(session: AsyncSession, channel: str, recipient: str, until: datetime) -> int:
    """A read receipt naming a time, not a message (Messenger's watermark): every message
    sent to ``recipient`` before it was read; how many."""
    rows = (
        await session.exec(
            select(ChannelOutbox).where(
                ChannelOutbox.channel == channel,
                ChannelOutbox.recipient == recipient,
                ChannelOutbox.status == OutboxStatus.SENT,
                col(ChannelOutbox.sent_at) <= until,
            )
        )
    ).all()
    for row in rows:
        row.meta = {**row.meta, "delivery": "read"}
        session.add(row)
    return len(rows)


async def _recipient(session: AsyncSession, ticket: Ticket, adapter: ChannelAdapter) -> str:
    if ticket.contact_id is None:
        return ""
    found = await session.exec(
        select(ContactIdentity.value)
        .where(
            ContactIdentity.contact_id == ticket.contact_id,
            ContactIdentity.kind == adapter.identity,
        )
        .order_by(col(ContactIdentity.id))
    )
    return found.first() or ""


def _failure_entry(session: AsyncSession, ticket: Ticket, row: ChannelOutbox) -> None:
    assert ticket.id is not None
    session.add(
        TicketEntry(
            ticket_id=ticket.id,
            kind=EntryKind.EVENT,
            channel=row.channel,
            direction="internal",
            internal=True,
            author_name="system",
            body=(
                f"Delivery failed: the {row.channel} reply to {row.recipient or '(nobody)'} "
                f"was not sent after {row.attempts} attempt(s): {row.last_error}"
            ),
        )
    )
