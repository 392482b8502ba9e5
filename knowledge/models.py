"""Knowledge-base tables: articles (Markdown or sanitised HTML) and FAQ entries (several
ways of asking one question, one answer), each in one language and public or internal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from switchboard.db_types import UtcDateTime, enum_type, utcnow

LANGUAGES = ("en", "fi", "sv", "uk")


class Visibility(StrEnum):
    PUBLIC = "public"  # anyone, the chatbot included
    INTERNAL = "internal"  # staff only


class BodyFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"  # stored sanitised


class KbArticle(SQLModel, table=True):
    __tablename__ = "kb_articles"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_format: BodyFormat = Field(default=BodyFormat.MARKDOWN, sa_type=enum_type(BodyFormat))
    plain: str = Field(default="", sa_column=Column(Text, nullable=False))  # body as text
    language: str = Field(max_length=8, index=True)
    visibility: Visibility = Field(default=Visibility.PUBLIC, sa_type=enum_type(Visibility))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category_id: int | None = Field(default=None, foreign_key="categories.id")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class KbFaq(SQLModel, table=True):
    __tablename__ = "kb_faqs"

    id: int | None = Field(default=None, primary_key=True)
    questions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    questions_text: str = Field(default="", sa_column=Column(Text, nullable=False))  # indexed
    answer: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(max_length=8, index=True)
    visibility: Visibility = Field(default=Visibility.PUBLIC, sa_type=enum_type(Visibility))
    article_id: int | None = Field(default=None, foreign_key="kb_articles.id")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


def article_snapshot(article: KbArticle | KbFaq) -> dict[str, Any]:
    return article.model_dump(mode="json", exclude={"body", "plain", "answer"})
