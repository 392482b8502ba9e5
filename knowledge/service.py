"""Articles and FAQ entries: written by supervisors and admins (audited, with a version
check), read by anyone when public and by staff when internal. An internal entry does not
exist for anyone else: 404, never 403."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.models import LANGUAGES, BodyFormat, KbArticle, KbFaq, Visibility, article_snapshot
from knowledge.search import query_words, ranked_public, text_match
from knowledge.text import clean_body
from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.access.roles import Principal
from ticketing.audit import audit
from ticketing.catalog.models import Category
from ticketing.errors import Conflict, InvalidInput, NotFound

MAX_TAGS = 20
MAX_QUESTIONS = 20
Row = TypeVar("Row", KbArticle, KbFaq)


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    language: str
    body_format: BodyFormat = BodyFormat.MARKDOWN
    visibility: Visibility = Visibility.PUBLIC
    tags: Sequence[str] = ()
    category_id: int | None = None


@dataclass(frozen=True)
class FaqInput:
    questions: Sequence[str]
    answer: str
    language: str
    visibility: Visibility = Visibility.PUBLIC
    article_id: int | None = None


@dataclass(frozen=True)
class KnowledgeFilter:
    q: str | None = None
    language: str | None = None
    tag: str | None = None
    category_id: int | None = None
    visibility: Visibility | None = None
    limit: int = 50


def sees_internal_articles(reader: Principal | None) -> bool:
    return reader is not None and reader.is_staff


class KnowledgeService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading ----------------------------------------------------------------------
    async def articles(self, reader: Principal | None, f: KnowledgeFilter) -> list[KbArticle]:
        statement = select(KbArticle).where(*self._visible(KbArticle, reader, f))
        if f.tag:
            tag = f.tag.strip().lower()
            rows = await self._all(statement.order_by(col(KbArticle.id)))
            return [a for a in rows if tag in a.tags][: f.limit]
        if f.category_id is not None:
            statement = statement.where(KbArticle.category_id == f.category_id)
        return await self._all(statement.order_by(col(KbArticle.id)).limit(f.limit))

    async def article(self, reader: Principal | None, article_id: int) -> KbArticle:
        async with self.db.session() as session:
            article = await session.get(KbArticle, article_id)
        if article is None or not _readable(article, reader):
            raise NotFound(f"article {article_id} not found")
        return article

    async def faqs(self, reader: Principal | None, f: KnowledgeFilter) -> list[KbFaq]:
        statement = select(KbFaq).where(*self._visible(KbFaq, reader, f))
        return await self._all(statement.order_by(col(KbFaq.id)).limit(f.limit))

    async def faq(self, reader: Principal | None, faq_id: int) -> KbFaq:
        async with self.db.session() as session:
            faq = await session.get(KbFaq, faq_id)
        if faq is None or not _readable(faq, reader):
            raise NotFound(f"FAQ entry {faq_id} not found")
        return faq

    async def public_candidates(
        self, language: str, words: list[str], limit: int = 20
    ) -> tuple[list[KbArticle], list[KbFaq]]:
        """The best-ranked public articles and FAQ entries in ``language`` sharing any word
        (as a prefix) with the query, for the chatbot to score."""
        if not words:
            return [], []
        found: list[list[Any]] = []
        async with self.db.session() as session:
            for kind, model in (("article", KbArticle), ("faq", KbFaq)):
                ranked = ranked_public(self.db.dialect, kind, words, language, limit)
                ids = list((await session.exec(ranked)).scalars().all())  # type: ignore[call-overload]
                rows = await session.exec(select(model).where(col(model.id).in_(ids)))
                by_id = {row.id: row for row in rows.all()}
                found.append([by_id[i] for i in ids if i in by_id])
        return found[0], found[1]

    # --- writing ----------------------------------------------------------------------
    async def create_article(self, actor: Principal, data: ArticleInput) -> KbArticle:
        async with self.db.transaction() as session:
            article = KbArticle(**_article_fields(await _checked_article(session, data)))
            session.add(article)
            await session.flush()
            audit(session, actor, "kb.article.create", "kb_article", article.id,
                  after=article_snapshot(article))  # fmt: skip
            return article

    async def update_article(
        self, actor: Principal, article_id: int, version: int, changes: dict[str, Any]
    ) -> KbArticle:
        async with self.db.transaction() as session:
            article = await _load(session, KbArticle, article_id, "article")
            before = article_snapshot(article)
            current = ArticleInput(
                title=article.title,
                body=article.body,
                language=article.language,
                body_format=article.body_format,
                visibility=article.visibility,
                tags=article.tags,
                category_id=article.category_id,
            )
            data = await _checked_article(session, replace(current, **changes))
            fields = _article_fields(data)
            await _change(session, actor, article, version, fields, "kb_article", before)
            return article

    async def delete_article(self, actor: Principal, article_id: int) -> None:
        async with self.db.transaction() as session:
            article = await _load(session, KbArticle, article_id, "article")
            await session.exec(
                update(KbFaq).where(col(KbFaq.article_id) == article_id).values(article_id=None)  # type: ignore[call-overload]
            )
            await session.delete(article)
            audit(session, actor, "kb.article.delete", "kb_article", article_id,
                  before=article_snapshot(article))  # fmt: skip

    async def create_faq(self, actor: Principal, data: FaqInput) -> KbFaq:
        async with self.db.transaction() as session:
            faq = KbFaq(**_faq_fields(await _checked_faq(session, data)))
            session.add(faq)
            await session.flush()
            audit(session, actor, "kb.faq.create", "kb_faq", faq.id, after=article_snapshot(faq))
            return faq

    async def update_faq(
        self, actor: Principal, faq_id: int, version: int, changes: dict[str, Any]
    ) -> KbFaq:
        async with self.db.transaction() as session:
            faq = await _load(session, KbFaq, faq_id, "FAQ entry")
            before = article_snapshot(faq)
            current = FaqInput(
                questions=faq.questions,
                answer=faq.answer,
                language=faq.language,
                visibility=faq.visibility,
                article_id=faq.article_id,
            )
            data = await _checked_faq(session, replace(current, **changes))
            await _change(session, actor, faq, version, _faq_fields(data), "kb_faq", before)
            return faq

    async def delete_faq(self, actor: Principal, faq_id: int) -> None:
        async with self.db.transaction() as session:
            faq = await _load(session, KbFaq, faq_id, "FAQ entry")
            await session.delete(faq)
            audit(session, actor, "kb.faq.delete", "kb_faq", faq_id, before=article_snapshot(faq))

    # --- helpers ----------------------------------------------------------------------
    def _visible(self, model: type[Row], reader: Principal | None, f: KnowledgeFilter) -> list[Any]:
        conditions: list[Any] = []
        if not sees_internal_articles(reader):
            conditions.append(model.visibility == Visibility.PUBLIC)
        if f.visibility is not None:
            conditions.append(model.visibility == f.visibility)
        if f.language:
            conditions.append(model.language == f.language)
        if f.q:
            words = query_words(f.q)
            if words:
                kind = "article" if model is KbArticle else "faq"
                conditions.append(col(model.id).in_(text_match(self.db.dialect, kind, words)))
        return conditions

    async def _all(self, statement: Any) -> list[Any]:
        async with self.db.session() as session:
            return list((await session.exec(statement)).all())


def _readable(row: KbArticle | KbFaq, reader: Principal | None) -> bool:
    return row.visibility is Visibility.PUBLIC or sees_internal_articles(reader)


async def _load(session: AsyncSession, model: type[Row], row_id: int, what: str) -> Row:
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row


async def _claim(session: AsyncSession, model: type[Row], row: Row, seen: int) -> None:
    """Take the next version only if nobody changed the row since ``seen``."""
    result = await session.exec(
        update(model)  # type: ignore[call-overload]
        .where(col(model.id) == row.id, col(model.version) == seen)
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"it was changed by someone else (version {row.version}, you sent {seen}): reload"
        )
    row.version = seen + 1


async def _change(
    session: AsyncSession,
    actor: Principal,
    row: Row,
    seen: int,
    fields: dict[str, Any],
    entity: str,
    before: dict[str, Any],
) -> None:
    """Write checked ``fields`` onto ``row`` at the next version, with its audit entry."""
    await _claim(session, type(row), row, seen)
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    action = f"{entity.replace('_', '.')}.update"  # kb_article -> kb.article.update
    audit(session, actor, action, entity, row.id, before=before, after=article_snapshot(row))


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
    return language


async def _checked_article(session: AsyncSession, data: ArticleInput) -> ArticleInput:
    title = " ".join(data.title.split())
    if not title:
        raise InvalidInput("an article needs a title")
    if not data.body.strip():
        raise InvalidInput("an article needs a body")
    tags = sorted({t.strip().lower() for t in data.tags if t.strip()})
    if len(tags) > MAX_TAGS or any(len(t) > 50 for t in tags):
        raise InvalidInput(f"at most {MAX_TAGS} tags of at most 50 characters")
    if data.category_id is not None and await session.get(Category, data.category_id) is None:
        raise InvalidInput(f"category {data.category_id} does not exist")
    _language(data.language)
    return replace(data, title=title, tags=tags)


def _article_fields(data: ArticleInput) -> dict[str, Any]:
    body, plain = clean_body(data.body, data.body_format)
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    return {**values, "tags": list(data.tags), "body": body, "plain": plain}


async def _checked_faq(session: AsyncSession, data: FaqInput) -> FaqInput:
    questions = list(dict.fromkeys(" ".join(q.split()) for q in data.questions if q.strip()))
    if not questions:
        raise InvalidInput("a FAQ entry needs at least one question")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(f"a FAQ entry has at most {MAX_QUESTIONS} questions")
    if not data.answer.strip():
        raise InvalidInput("a FAQ entry needs an answer")
    if data.article_id is not None and await session.get(KbArticle, data.article_id) is None:
        raise InvalidInput(f"article {data.article_id} does not exist")
    _language(data.language)
    return replace(data, questions=questions, answer=data.answer.strip())


def _faq_fields(data: FaqInput) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    return {
        **values,
        "questions": list(data.questions),
        "questions_text": "\n".join(data.questions),
    }
