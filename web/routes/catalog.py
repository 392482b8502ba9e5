"""Teams and categories."""

from __future__ import annotations

from fastapi import APIRouter

from ticketing.catalog.fields import CategoryField, FieldDefinition
from web.convert import category_out, team_out
from web.deps import CatalogManager, CatalogReader, PathId, Services, UserReader
from web.schemas_people import (
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    FieldIn,
    FieldOut,
    TeamIn,
    TeamOut,
    TeamPatch,
)

router = APIRouter(prefix="/api", tags=["teams and categories"])


@router.get("/teams")
async def list_teams(services: Services, _actor: UserReader) -> list[TeamOut]:
    """Teams and their members (staff only: membership is about people)."""
    return [team_out(t) for t in await services.catalog.teams()]


@router.post("/teams", status_code=201)
async def create_team(body: TeamIn, services: Services, actor: CatalogManager) -> TeamOut:
    detail = await services.catalog.create_team(actor, body.name, body.description, body.member_ids)
    return team_out(detail)


@router.get("/teams/{team_id}")
async def get_team(team_id: PathId, services: Services, _actor: UserReader) -> TeamOut:
    return team_out(await services.catalog.team(team_id))


@router.patch("/teams/{team_id}")
async def update_team(
    team_id: PathId, body: TeamPatch, services: Services, actor: CatalogManager
) -> TeamOut:
    detail = await services.catalog.update_team(
        actor,
        team_id,
        name=body.name,
        description=body.description,
        member_ids=body.member_ids,
    )
    return team_out(detail)


@router.get("/categories")
async def list_categories(
    services: Services, _actor: CatalogReader, include_inactive: bool = False
) -> list[CategoryOut]:
    """The whole tree, ordered by path (a parent comes right before its children)."""
    views = await services.catalog.categories(include_inactive=include_inactive)
    return [category_out(v) for v in views]


@router.post("/categories", status_code=201)
async def create_category(
    body: CategoryIn, services: Services, actor: CatalogManager
) -> CategoryOut:
    view = await services.catalog.create_category(
        actor, code=body.code, name=body.name, parent_id=body.parent_id
    )
    return category_out(view)


@router.get("/categories/{category_id}")
async def get_category(
    category_id: PathId, services: Services, _actor: CatalogReader
) -> CategoryOut:
    return category_out(await services.catalog.category(category_id))


@router.patch("/categories/{category_id}")
async def update_category(
    category_id: PathId, body: CategoryPatch, services: Services, actor: CatalogManager
) -> CategoryOut:
    view = await services.catalog.update_category(
        actor, category_id, name=body.name, active=body.active
    )
    return category_out(view)


@router.get("/categories/{category_id}/fields")
async def list_category_fields(
    category_id: PathId, services: Services, _actor: CatalogReader
) -> list[FieldOut]:
    """The custom fields tickets in this category carry, its parents' first."""
    return [_field_out(f) for f in await services.catalog.fields(category_id)]


@router.put("/categories/{category_id}/fields")
async def set_category_fields(
    category_id: PathId, body: list[FieldIn], services: Services, actor: CatalogManager
) -> list[FieldOut]:
    """Replace this category's own fields (its sub-categories inherit them); tickets
    keep the values they have."""
    definitions = [FieldDefinition(**f.model_dump()) for f in body]
    return [
        _field_out(f) for f in await services.catalog.set_fields(actor, category_id, definitions)
    ]


def _field_out(field: CategoryField) -> FieldOut:
    return FieldOut.model_validate(field, from_attributes=True)
