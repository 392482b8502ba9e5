"""Every table of the ticketing core, imported for SQLModel's metadata (migrations)."""

from __future__ import annotations

import ticketing.access.models
import ticketing.audit
import ticketing.automation.models
import ticketing.catalog.fields
import ticketing.catalog.models
import ticketing.contact_merge
import ticketing.models
import ticketing.sla.models
import ticketing.streets  # noqa: F401

SEARCH_TABLES = ("ticket_fts", "entry_fts")  # SQLite FTS5, created by migration 0002


def managed_by_hand(name: str, kind: str) -> bool:
    """What autogenerate must leave alone: the FTS5 tables (and their shadow tables) on
    SQLite and the full-text expression indexes on PostgreSQL, all made by migration 0002."""
    if kind == "table":
        return any(name == t or name.startswith(f"{t}_") for t in SEARCH_TABLES)
    return kind == "index" and name.endswith("_fulltext")
