"""Time-based work that survives restarts: jobs are rows with a due time, polled.

Each due job runs in its own transaction with its handler; on PostgreSQL the row is
claimed with ``FOR UPDATE SKIP LOCKED`` so several processes can poll one database. A
failing job is retried with backoff and given up (recorded) after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from switchboard.db import Database
from switchboard.db_types import utcnow
from switchboard.workers import keep_working
from ticketing.sla.models import ScheduledJob

log = logging.getLogger(__name__)

JobHandler = Callable[[AsyncSession, ScheduledJob, datetime], Awaitable[None]]
AFTER_COMMIT = "after_commit"  # session.info key: callbacks run once the job committed
MAX_ATTEMPTS = 5


class Scheduler:
    def __init__(
        self, db: Database, handlers: Mapping[str, JobHandler], poll_seconds: float = 5.0
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        """Poll until cancelled."""
        await keep_working(self.run_due, what="running scheduled jobs", every=self.poll_seconds)

    async def run_due(self, now: datetime | None = None, limit: int = 100) -> int:
        """Run every job due at ``now``; how many ran."""
        now = now or utcnow()
        async with self.db.session() as session:
            due = await session.exec(
                select(ScheduledJob.id)
                .where(ScheduledJob.done_at == None, ScheduledJob.due_at <= now)  # type: ignore[operator]  # noqa: E711
                .order_by(ScheduledJob.due_at)  # type: ignore[arg-type]
                .limit(limit)
            )
            ids = list(due.all())
        ran = 0
        for job_id in ids:
            if job_id is not None and await self._run_one(job_id, now):
                ran += 1
        return ran

    async def _run_one(self, job_id: int, now: datetime) -> bool:
        try:
            async with self.db.transaction() as session:
                statement = select(ScheduledJob).where(
                    ScheduledJob.id == job_id,
                    ScheduledJob.done_at == None,  # noqa: E711
                    ScheduledJob.due_at <= now,  # type: ignore[operator]
                )
                if self.db.dialect == "postgresql":
                    statement = statement.with_for_update(skip_locked=True)
                job = (await session.exec(statement)).first()
                if job is None:  # done meanwhile, or another process has it
                    return False
                handler = self.handlers.get(job.kind)
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                await handler(session, job, now)
                job.done_at = now
                session.add(job)
                after_commit = list(session.info.get(AFTER_COMMIT, []))
            for callback in after_commit:  # e.g. events: only once the change is durable
                await callback()
            return True
        except Exception as exc:
            log.exception("scheduled job %s failed", job_id)
            await self._failed(job_id, now, exc)
            return False

    async def _failed(self, job_id: int, now: datetime, exc: Exception) -> None:
        async with self.db.transaction() as session:
            job = await session.get(ScheduledJob, job_id)
            if job is None:
                return
            job.attempts += 1
            job.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            if job.attempts >= MAX_ATTEMPTS:
                job.done_at = now
            else:
                job.due_at = now + timedelta(minutes=2**job.attempts)
            session.add(job)
