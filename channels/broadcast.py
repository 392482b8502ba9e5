"""Works notices delivered to subscribers: each subscriber of an affected area gets one
message per notice (the outbox row's ``dedupe_key``), in their language, over their
channel, with its own status; people who opted out get nothing."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, insert
from sqlmodel import col, or_, select

from channels.models import ChannelOutbox, OptOut, OutboxStatus, Subscription
from notices.models import WHOLE_AREA, WorksNotice
from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.errors import InvalidInput, NotFound
from ticketing.identities import normalise_identity
from ticketing.models import IdentityKind

CHANNEL_IDENTITY = {
    "sms": IdentityKind.PHONE,
    "email": IdentityKind.EMAIL,
    "whatsapp": IdentityKind.WHATSAPP,
    "telegram": IdentityKind.TELEGRAM,
    "viber": IdentityKind.VIBER,
}
# SMS and email subscriptions are taken before a provider is set up; a messaging app only
# once it is configured to send (WhatsApp: with an approved template for notices).
ALWAYS_SUBSCRIBABLE = ("sms", "email")
LANGUAGES = ("en", "fi", "sv", "uk")
BATCH = 5000


def _area(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


@dataclass(frozen=True)
class BroadcastReport:
    notice_id: int
    queued: int  # new this time
    statuses: dict[str, int]  # every recipient so far, by outbox status


class Broadcasts:
    def __init__(self, db: Database, default_region: str, messaging: Collection[str] = ()) -> None:
        self.db = db
        self.default_region = default_region
        self.channels = (*ALWAYS_SUBSCRIBABLE, *(c for c in CHANNEL_IDENTITY if c in messaging))

    async def subscribe(
        self, channel: str, address: str, area: str, language: str = "fi"
    ) -> Subscription:
        kind = CHANNEL_IDENTITY.get(channel)
        if kind is None or channel not in self.channels:
            raise InvalidInput(f"broadcasts go by {', '.join(self.channels)} here, not {channel}")
        if language not in LANGUAGES:
            raise InvalidInput(f"language is one of {', '.join(LANGUAGES)}")
        value = normalise_identity(kind, address, self.default_region)
        where = _area(area)
        if not where:
            raise InvalidInput("an area is a postcode, or '*' for the whole service area")
        async with self.db.transaction() as session:
            existing = (
                await session.exec(
                    select(Subscription).where(
                        Subscription.channel == channel,
                        Subscription.address == value,
                        Subscription.area == where,
                    )
                )
            ).first()
            subscription = existing or Subscription(channel=channel, address=value, area=where)
            subscription.language, subscription.active = language, True
            session.add(subscription)
        return subscription

    async def unsubscribe(self, channel: str, address: str) -> int:
        """End every subscription of an address on a channel; how many there were."""
        kind = CHANNEL_IDENTITY.get(channel, IdentityKind.PHONE)
        value = normalise_identity(kind, address, self.default_region)
        async with self.db.transaction() as session:
            rows = (
                await session.exec(
                    select(Subscription).where(
                        Subscription.channel == channel,
                        Subscription.address == value,
                        Subscription.active == True,  # noqa: E712
                    )
                )
            ).all()
            for row in rows:
                row.active = False
                session.add(row)
            return len(rows)

    async def send(self, notice_id: int) -> BroadcastReport:
        """Queue the notice for every subscriber of its areas not yet queued (idempotent).

        Subscribers are read as plain rows and queued with executemany inserts (which
        SQLAlchemy sends as multi-row VALUES within each server's parameter limit),
        ``BATCH`` rows a commit: a crash in between leaves some queued, and sending again queues
        the rest (the dedupe key)."""
        async with self.db.session() as session:
            notice = await session.get(WorksNotice, notice_id)
            if notice is None:
                raise NotFound(f"notice {notice_id} does not exist")
            areas = [_area(a) for a in notice.areas]
            statement = select(
                Subscription.id, Subscription.channel, Subscription.address, Subscription.language
            ).where(Subscription.active == True)  # noqa: E712
            if WHOLE_AREA not in areas:
                statement = statement.where(
                    or_(col(Subscription.area).in_(areas), Subscription.area == WHOLE_AREA)
                )
            subscribers = (await session.exec(statement)).all()
            prefix = f"notice:{notice_id}:"
            done = set(
                (
                    await session.exec(
                        select(ChannelOutbox.dedupe_key).where(
                            col(ChannelOutbox.dedupe_key).startswith(prefix)
                        )
                    )
                ).all()
            )
            opted = set((await session.exec(select(OptOut.channel, OptOut.address))).all())
        now = utcnow()
        rows = [
            _row(notice, Recipient(*s), prefix, now)
            for s in subscribers
            if f"{prefix}{s[0]}" not in done and (s[1], s[2]) not in opted
        ]
        for start in range(0, len(rows), BATCH):
            async with self.db.transaction() as session:
                connection = await session.connection()  # executemany: batched VALUES
                await connection.execute(insert(ChannelOutbox), rows[start : start + BATCH])
        return BroadcastReport(notice_id, len(rows), await self.statuses(notice_id))

    async def statuses(self, notice_id: int) -> dict[str, int]:
        async with self.db.session() as session:
            found = await session.exec(
                select(ChannelOutbox.status, func.count())
                .where(col(ChannelOutbox.dedupe_key).startswith(f"notice:{notice_id}:"))
                .group_by(ChannelOutbox.status)
            )
            return {str(status): count for status, count in found.all()}


@dataclass(frozen=True)
class Recipient:
    id: int
    channel: str
    address: str
    language: str


def _row(notice: WorksNotice, subscriber: Recipient, prefix: str, now: object) -> dict[str, object]:
    text = (
        notice.message.get(subscriber.language)
        or notice.message.get("en")
        or next(iter(notice.message.values()), notice.title)
    )
    meta: dict[str, object] = {"notice_id": notice.id, "language": subscriber.language}
    if subscriber.channel == "email":
        meta["message_id"] = f"<notice-{notice.id}-{uuid.uuid4().hex}@switchboard>"
        meta["bulk"] = True
    return {
        "channel": subscriber.channel,
        "dedupe_key": f"{prefix}{subscriber.id}",
        "recipient": subscriber.address,
        "subject": notice.title[:300],
        "body": text,
        "meta": meta,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "provider_id": "",
        "created_at": now,
    }
