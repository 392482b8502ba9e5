"""Finding articles and FAQ entries by full text, as tickets are found
(``ticketing.search``): SQLite FTS5 tables kept in step by triggers, on PostgreSQL a
stored ``search`` column of ``to_tsvector('simple', ...)`` with a GIN index (migration
kb_0001). Words are extracted
from the query, never passed through as search syntax; each is matched as a prefix.

``every`` word must match for the search API; the chatbot takes the best-ranked public
rows in the visitor's language sharing ``any`` word (BM25 on SQLite with the title or
questions weighted up, ``ts_rank`` on PostgreSQL) and scores them itself
(``knowledge.matching``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, column, text

from ticketing.search import _WORD, MAX_WORDS

_TABLES = {
    # kind: (SQLite FTS table, table); PostgreSQL keeps the vector in ``search``
    "article": ("kb_article_fts", "kb_articles"),
    "faq": ("kb_faq_fts", "kb_faqs"),
}
TITLE_WEIGHT = 4.0  # a word in the title (or an FAQ question) counts four times


def words_of(text: str) -> list[str]:
    """Every word of a text, lowercased, as ticket search extracts them."""
    return [w.lower() for w in _WORD.findall(text)]


def query_words(query: str) -> list[str]:
    """The words of a query that are searched for."""
    return words_of(query)[:MAX_WORDS]


def text_match(dialect: str, kind: str, words: list[str]) -> Any:
    """A ``SELECT id`` of the rows of ``kind`` containing every word (as a prefix)."""
    fts_table, table = _TABLES[kind]
    if dialect == "sqlite":
        query = " ".join(f'"{w}"*' for w in words)
        sql = f"SELECT rowid AS id FROM {fts_table} WHERE {fts_table} MATCH :fts"
    else:
        query = " & ".join(f"{w}:*" for w in words)
        sql = f"SELECT id FROM {table} WHERE search @@ to_tsquery('simple', :fts)"
    return text(sql).bindparams(fts=query).columns(column("id", Integer))


def ranked_public(dialect: str, kind: str, words: list[str], language: str, limit: int) -> Any:
    """A ``SELECT id`` of the best public rows of ``kind`` in ``language`` sharing any of
    the words, best first."""
    fts_table, table = _TABLES[kind]
    if dialect == "sqlite":
        query = " OR ".join(f'"{w}"*' for w in words)
        sql = (
            f"SELECT t.id FROM {fts_table} JOIN {table} t ON t.id = {fts_table}.rowid "
            f"WHERE {fts_table} MATCH :fts AND t.language = :language "
            f"AND t.visibility = 'public' ORDER BY bm25({fts_table}, {TITLE_WEIGHT}, 1.0), t.id "
            "LIMIT :limit"
        )
    else:
        query = " | ".join(f"{w}:*" for w in words)
        sql = (
            f"SELECT id FROM {table} WHERE search @@ to_tsquery('simple', :fts) "
            "AND language = :language AND visibility = 'public' "
            "ORDER BY ts_rank(search, to_tsquery('simple', :fts)) DESC, id LIMIT :limit"
        )
    bound = text(sql).bindparams(fts=query, language=language, limit=limit)
    return bound.columns(column("id", Integer))
