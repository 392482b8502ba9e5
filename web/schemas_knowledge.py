"""Shapes of the knowledge-base API: articles and FAQ entries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.models import BodyFormat, Visibility
from web.schemas import DbId, Input, Version

Language = Literal["en", "fi", "sv", "uk"]
Tag = Field(max_length=50)


class ArticleIn(Input):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, description="Markdown, or HTML (sanitised when stored)")
    body_format: BodyFormat = BodyFormat.MARKDOWN
    language: Language
    visibility: Visibility = Visibility.PUBLIC
    tags: list[str] = Field(default_factory=list, max_length=20)
    category_id: DbId | None = None


class ArticlePatch(Input):
    version: Version
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1)
    body_format: BodyFormat | None = None
    language: Language | None = None
    visibility: Visibility | None = None
    tags: list[str] | None = Field(None, max_length=20)
    category_id: DbId | None = None


class ArticleOut(BaseModel):
    id: int
    title: str
    body: str
    body_format: BodyFormat
    language: str
    visibility: Visibility
    tags: list[str]
    category_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class FaqIn(Input):
    questions: list[str] = Field(min_length=1, max_length=20, description="Ways of asking")
    answer: str = Field(min_length=1)
    language: Language
    visibility: Visibility = Visibility.PUBLIC
    article_id: DbId | None = None


class FaqPatch(Input):
    version: Version
    questions: list[str] | None = Field(None, min_length=1, max_length=20)
    answer: str | None = Field(None, min_length=1)
    language: Language | None = None
    visibility: Visibility | None = None
    article_id: DbId | None = None


class FaqOut(BaseModel):
    id: int
    questions: list[str]
    answer: str
    language: str
    visibility: Visibility
    article_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime
