"""Outgoing webhooks: signed with HMAC-SHA256, sent from the outbox after the change
committed, retried with exponential backoff, every attempt kept in the delivery log.

A receiver checks ``X-Switchboard-Signature: sha256=HEX`` where HEX is
HMAC-SHA256(secret, "<X-Switchboard-Timestamp>." + body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlparse

import httpx
from sqlmodel import select

from switchboard.db import Database
from switchboard.db_types import utcnow
from switchboard.workers import keep_working
from ticketing.access.roles import Principal
from ticketing.audit import audit, snapshot
from ticketing.automation.models import DeliveryStatus, Webhook, WebhookDelivery
from ticketing.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6  # then the delivery is marked failed
FIRST_RETRY = timedelta(seconds=30)  # doubled after every failed attempt
TIMEOUT = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    return FIRST_RETRY * (2 ** (attempts - 1))


class WebhookSender:
    """Sends due deliveries; ``client`` is shared (tests hand in one of their own)."""

    def __init__(
        self, db: Database, client: httpx.AsyncClient | None = None, poll_seconds: float = 2.0
    ) -> None:
        self.db = db
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        await keep_working(self.run_due, what="delivering webhooks", every=self.poll_seconds)

    async def run_due(self, now: datetime | None = None, limit: int = 50) -> int:
        """Attempt every delivery due at ``now``; how many were attempted."""
        now = now or utcnow()
        async with self.db.session() as session:
            due = await session.exec(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)  # type: ignore[arg-type]
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.next_attempt_at <= now,  # type: ignore[operator]
                )
                .order_by(WebhookDelivery.id)  # type: ignore[arg-type]
                .limit(limit)
            )
            batch = list(due.all())
        for delivery, hook in batch:
            await self._attempt(delivery, hook, now)
        return len(batch)

    async def _attempt(self, delivery: WebhookDelivery, hook: Webhook, now: datetime) -> None:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Switchboard-Webhook/1",
            "X-Switchboard-Event": delivery.event,
            "X-Switchboard-Delivery": str(delivery.id),
            "X-Switchboard-Timestamp": timestamp,
            "X-Switchboard-Signature": signature(hook.secret, timestamp, body),
        }
        code: int | None = None
        error = ""
        try:
            response = await self.client.post(hook.url, content=body, headers=headers)
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        async with self.db.transaction() as session:
            row = await session.get(WebhookDelivery, delivery.id)
            if row is None or row.status is not DeliveryStatus.PENDING:
                return
            row.attempts += 1
            row.last_status_code = code
            row.last_error = error[:500]
            if not error:
                row.status, row.delivered_at = DeliveryStatus.DELIVERED, now
            elif row.attempts >= MAX_ATTEMPTS:
                row.status = DeliveryStatus.FAILED
            else:
                row.next_attempt_at = now + retry_delay(row.attempts)
            session.add(row)

    async def close(self) -> None:
        await self.client.aclose()


class WebhookService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, actor: Principal, name: str, url: str, events: Sequence[str]) -> Webhook:
        """A new webhook with a generated secret (returned here; keep it at the receiver)."""
        _check(url, events)
        async with self.db.transaction() as session:
            if (await session.exec(select(Webhook).where(Webhook.name == name))).first():
                raise Conflict(f"a webhook named {name!r} already exists")
            hook = Webhook(
                name=name, url=url, events=list(events), secret=secrets.token_urlsafe(32)
            )
            session.add(hook)
            await session.flush()
            audit(
                session,
                actor,
                "webhook.create",
                "webhook",
                hook.id,
                after=snapshot(hook, secret="***"),
            )
            return hook

    async def update(
        self,
        actor: Principal,
        webhook_id: int,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        active: bool | None = None,
    ) -> Webhook:
        async with self.db.transaction() as session:
            hook = await session.get(Webhook, webhook_id)
            if hook is None:
                raise NotFound(f"webhook {webhook_id} not found")
            before = snapshot(hook, secret="***")
            _check(url or hook.url, events if events is not None else hook.events)
            hook.url = url or hook.url
            if events is not None:
                hook.events = list(events)
            if active is not None:
                hook.active = active
            session.add(hook)
            audit(
                session,
                actor,
                "webhook.update",
                "webhook",
                webhook_id,
                before=before,
                after=snapshot(hook, secret="***"),
            )
            return hook

    async def list(self) -> list[Webhook]:
        async with self.db.session() as session:
            return list((await session.exec(select(Webhook).order_by(Webhook.id))).all())  # type: ignore[arg-type]

    async def deliveries(self, webhook_id: int, limit: int = 100) -> list[WebhookDelivery]:
        async with self.db.session() as session:
            if await session.get(Webhook, webhook_id) is None:
                raise NotFound(f"webhook {webhook_id} not found")
            rows = await session.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.id.desc())  # type: ignore[union-attr]
                .limit(limit)
            )
            return list(rows.all())


def _check(url: str, events: Sequence[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL")
    if not events or any(not e.strip() for e in events):
        raise InvalidInput("a webhook needs event patterns, e.g. ticket.* or entry.created")
