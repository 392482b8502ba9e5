"""Publishing, ending and finding works notices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import col, or_, select

from notices.models import WHOLE_AREA, NoticeKind, WorksNotice
from switchboard.db import Database
from switchboard.db_types import utcnow

LANGUAGES = ("en", "fi", "sv", "uk")
_POSTCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{1,9}$")


class NoticeError(ValueError):
    pass


class NoticeService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def publish(
        self,
        *,
        kind: NoticeKind,
        title: str,
        message: dict[str, str],
        areas: list[str],
        starts_at: datetime,
        expected_end_at: datetime | None,
    ) -> WorksNotice:
        """Validate and store a notice; nothing is stored when any field is wrong."""
        areas = [a.strip() for a in areas if a.strip()]
        if not areas:
            raise NoticeError("a notice needs at least one area (a postcode, or '*')")
        bad = [a for a in areas if a != WHOLE_AREA and not _POSTCODE.match(a)]
        if bad:
            raise NoticeError(f"not a postcode: {', '.join(bad)}")
        unknown = sorted(set(message) - set(LANGUAGES))
        if unknown:
            raise NoticeError(f"unknown language(s) {', '.join(unknown)}: use en, fi, sv, uk")
        if not any(text.strip() for text in message.values()):
            raise NoticeError("a notice needs a message in at least one language")
        if expected_end_at is not None and expected_end_at <= starts_at:
            raise NoticeError("the expected end must come after the start")
        notice = WorksNotice(
            kind=kind,
            title=title.strip() or kind.value,
            message={k: v.strip() for k, v in message.items() if v.strip()},
            areas=areas,
            starts_at=starts_at,
            expected_end_at=expected_end_at,
        )
        async with self.db.transaction() as session:
            session.add(notice)
        return notice

    async def end(self, notice_id: int, at: datetime | None = None) -> WorksNotice:
        async with self.db.transaction() as session:
            notice = await session.get(WorksNotice, notice_id)
            if notice is None:
                raise NoticeError(f"notice {notice_id} does not exist")
            if notice.ended_at is None:
                notice.ended_at = at or utcnow()
                session.add(notice)
            return notice

    async def current(
        self, area: str | None = None, *, at: datetime | None = None, lookahead_days: int = 7
    ) -> list[WorksNotice]:
        """Outages now and planned works starting within ``lookahead_days``, for an area
        (a postcode) or for all areas when ``area`` is None; soonest first."""
        now = at or utcnow()
        async with self.db.session() as session:
            statement = (
                select(WorksNotice)
                .where(col(WorksNotice.ended_at).is_(None))
                .where(WorksNotice.starts_at <= now + timedelta(days=lookahead_days))
                .where(
                    or_(
                        col(WorksNotice.expected_end_at).is_(None),
                        col(WorksNotice.expected_end_at) > now,
                    )
                )
                .order_by(col(WorksNotice.starts_at))
            )
            notices = list((await session.exec(statement)).all())
        wanted = area.strip().replace(" ", "") if area else None
        return [
            n
            for n in notices
            if wanted is None
            or WHOLE_AREA in n.areas
            or wanted in (a.replace(" ", "") for a in n.areas)
        ]
