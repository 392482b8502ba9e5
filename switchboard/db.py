"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message says which and why."""


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL keeps readers off writers' backs; synchronous=NORMAL in WAL mode loses nothing
    # when a process crashes (only an OS crash can cost the last commits).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    raise DatabaseError(
        f"unsupported database URL {redacted(url)}: use sqlite:///PATH or postgresql://..."
    )


class Database:
    """One engine and its session factory; created by the composition root, never at import."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite has one writer at a time: queue this process's writers here instead of
        # letting them hold pooled connections while they wait for the file lock. A task
        # that opens a transaction inside its own (an audit entry that must survive the
        # outer rollback) goes straight through, as it did before the queue.
        self._writer = asyncio.Lock() if self.dialect == "sqlite" else None
        self._writer_task: asyncio.Task[object] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        task = asyncio.current_task()
        if self._writer is None or self._writer_task is task:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._writer:
            self._writer_task = task
            try:
                async with self._sessions() as session, session.begin():
                    yield session
            finally:
                self._writer_task = None

    async def check(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # driver errors differ per backend; all mean "unusable"
            raise DatabaseError(
                f"cannot connect to database {redacted(self.url)}: {exc.__class__.__name__}: {exc}"
            ) from exc

    async def close(self) -> None:
        await self.engine.dispose()
