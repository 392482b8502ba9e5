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
SEARCH_COLUMN = "search"  # PostgreSQL stored tsvector of tickets and entries (tickets_0006)


def managed_by_hand(name: str, kind: str) -> bool:
    """What autogenerate must leave alone: the FTS5 tables (and their shadow tables) on
    SQLite, and on PostgreSQL the stored ``search`` vectors and their full-text indexes
    (migrations 0002 and tickets_0006)."""
    if kind == "table":
        return any(name == t or name.startswith(f"{t}_") for t in SEARCH_TABLES)
    if kind == "column":
        return name == SEARCH_COLUMN
    return kind == "index" and name.endswith("_fulltext")
