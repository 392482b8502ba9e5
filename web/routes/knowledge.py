"""The knowledge base: public articles and FAQ entries for anyone (no credentials
needed), internal ones for staff, writing for supervisors and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from knowledge.models import KbArticle, KbFaq, Visibility
from knowledge.pages import article_html
from knowledge.service import ArticleInput, FaqInput, KnowledgeFilter, KnowledgeService
from ticketing.access.roles import Principal
from ticketing.access.sessions import COOKIE_NAME
from web.deps import CatalogManager, Context, PathId, QueryId, Services, current_principal
from web.schemas_knowledge import (
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    FaqIn,
    FaqOut,
    FaqPatch,
    Language,
)

router = APIRouter(tags=["knowledge base"])
_bearer = HTTPBearer(auto_error=False)
KnowledgeManager = CatalogManager  # supervisors and admins, as for the category tree


def get_knowledge(context: Context) -> KnowledgeService:
    return KnowledgeService(context.db)


async def optional_principal(
    request: Request,
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """Anonymous readers are welcome; credentials, when sent, must be valid."""
    if credentials is None and not request.cookies.get(COOKIE_NAME):
        return None
    return await current_principal(request, services, credentials)


Knowledge = Annotated[KnowledgeService, Depends(get_knowledge)]
Reader = Annotated[Principal | None, Depends(optional_principal)]
Text = Annotated[str | None, Query(max_length=200, description="Words, all matched as prefixes")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _changes(body: ArticlePatch | FaqPatch) -> dict[str, object]:
    """The fields sent; null only clears the links (category, article)."""
    sent = body.model_dump(exclude_unset=True, exclude={"version"})
    return {k: v for k, v in sent.items() if v is not None or k.endswith("_id")}


def article_out(article: KbArticle) -> ArticleOut:
    return ArticleOut.model_validate(article, from_attributes=True)


def faq_out(faq: KbFaq) -> FaqOut:
    return FaqOut.model_validate(faq, from_attributes=True)


@router.get("/api/knowledge/articles")
async def list_articles(
    knowledge: Knowledge,
    reader: Reader,
    q: Text = None,
    language: Language | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    category_id: QueryId = None,
    visibility: Visibility | None = None,
    limit: Limit = 50,
) -> list[ArticleOut]:
    """Articles by id; anyone sees public ones, staff internal ones too."""
    found = await knowledge.articles(
        reader, KnowledgeFilter(q, language, tag, category_id, visibility, limit)
    )
    return [article_out(a) for a in found]


@router.post("/api/knowledge/articles", status_code=201)
async def create_article(
    body: ArticleIn, knowledge: Knowledge, actor: KnowledgeManager
) -> ArticleOut:
    return article_out(await knowledge.create_article(actor, ArticleInput(**body.model_dump())))


@router.get("/api/knowledge/articles/{article_id}")
async def get_article(article_id: PathId, knowledge: Knowledge, reader: Reader) -> ArticleOut:
    return article_out(await knowledge.article(reader, article_id))


@router.patch("/api/knowledge/articles/{article_id}")
async def update_article(
    article_id: PathId, body: ArticlePatch, knowledge: Knowledge, actor: KnowledgeManager
) -> ArticleOut:
    updated = await knowledge.update_article(actor, article_id, body.version, _changes(body))
    return article_out(updated)


@router.delete("/api/knowledge/articles/{article_id}", status_code=204)
async def delete_article(
    article_id: PathId, knowledge: Knowledge, actor: KnowledgeManager
) -> Response:
    await knowledge.delete_article(actor, article_id)
    return Response(status_code=204)


@router.get("/api/knowledge/faqs")
async def list_faqs(
    knowledge: Knowledge,
    reader: Reader,
    q: Text = None,
    language: Language | None = None,
    visibility: Visibility | None = None,
    limit: Limit = 50,
) -> list[FaqOut]:
    found = await knowledge.faqs(
        reader, KnowledgeFilter(q, language, visibility=visibility, limit=limit)
    )
    return [faq_out(f) for f in found]


@router.post("/api/knowledge/faqs", status_code=201)
async def create_faq(body: FaqIn, knowledge: Knowledge, actor: KnowledgeManager) -> FaqOut:
    return faq_out(await knowledge.create_faq(actor, FaqInput(**body.model_dump())))


@router.get("/api/knowledge/faqs/{faq_id}")
async def get_faq(faq_id: PathId, knowledge: Knowledge, reader: Reader) -> FaqOut:
    return faq_out(await knowledge.faq(reader, faq_id))


@router.patch("/api/knowledge/faqs/{faq_id}")
async def update_faq(
    faq_id: PathId, body: FaqPatch, knowledge: Knowledge, actor: KnowledgeManager
) -> FaqOut:
    return faq_out(await knowledge.update_faq(actor, faq_id, body.version, _changes(body)))


@router.delete("/api/knowledge/faqs/{faq_id}", status_code=204)
async def delete_faq(faq_id: PathId, knowledge: Knowledge, actor: KnowledgeManager) -> Response:
    await knowledge.delete_faq(actor, faq_id)
    return Response(status_code=204)


@router.get("/kb/articles/{article_id}", response_class=HTMLResponse)
async def article_page(article_id: PathId, knowledge: Knowledge, reader: Reader) -> HTMLResponse:
    """A public article as a page (where the chatbot's links lead)."""
    return HTMLResponse(article_html(await knowledge.article(reader, article_id)))
