"""Reading the audit log (writing happens inside each service's transaction)."""

from __future__ import annotations

from switchboard.db import Database
from ticketing.audit import AuditEntry, audit_trail


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def entries(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        action: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        async with self.db.session() as session:
            return await audit_trail(
                session,
                entity=entity,
                entity_id=entity_id,
                action=action,
                limit=limit,
                before_id=before_id,
            )
