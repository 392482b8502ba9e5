"""The street registry: completion while typing an address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.deps import CurrentPrincipal, Services
from web.schemas import StreetOut

router = APIRouter(prefix="/api", tags=["streets"])


@router.get("/streets")
async def complete_streets(
    services: Services,
    _actor: CurrentPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Start of a street name")],
    city: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[StreetOut]:
    """Streets starting with ``q`` (case and accents ignored), by name then postcode;
    for any signed-in user, since customers add addresses to their tickets too."""
    streets = await services.streets.complete(q, city=city, limit=limit)
    return [StreetOut(name=s.name, postal_code=s.postal_code, city=s.city) for s in streets]
