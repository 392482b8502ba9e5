"""Public web forms: ``GET /forms/{slug}`` renders one, ``POST`` files it as a ticket and
confirms with the number. Spam protection: a hidden trap field and a per-client rate."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from channels.forms.definition import FormDefinition
from channels.forms.service import FormService, Invalid, RateLimited, Upload
from ticketing.errors import NotFound
from web.deps import Context

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
MAX_UPLOAD = 10 * 1024 * 1024


def _form(context: Context, slug: str) -> tuple[FormService, FormDefinition]:
    service = context.channels.forms if context.channels is not None else None
    form = service.forms.get(slug) if service is not None else None
    if service is None or form is None:
        raise NotFound(f"there is no form {slug!r}")
    return service, form


@router.get("/forms/{slug}", response_class=HTMLResponse)
async def show_form(slug: str, context: Context) -> HTMLResponse:
    """The form as accessible HTML, to link to or embed in an iframe."""
    service, form = _form(context, slug)
    return HTMLResponse(service.render(form))


@router.post("/forms/{slug}", response_class=HTMLResponse)
async def submit_form(slug: str, request: Request, context: Context) -> HTMLResponse:
    """A submission: the confirmation with the ticket number, or the form with errors."""
    service, form = _form(context, slug)
    data = await request.form()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    if values.get("website"):  # only robots fill the hidden field: thank them, keep nothing
        log.info("form %s: spam trap filled; submission dropped", slug)
        return HTMLResponse(service.render(form, number="-"))
    try:
        service.check_rate(request.client.host if request.client else "?")
    except RateLimited:
        return HTMLResponse("Too many submissions: try again later.", status_code=429)
    uploads = [
        Upload(name, value.filename or "file", await value.read(MAX_UPLOAD + 1))
        for name, value in data.multi_items()
        if isinstance(value, UploadFile) and value.filename
    ]
    try:
        number = await service.submit(form, values, uploads)
    except Invalid as exc:
        return HTMLResponse(service.render(form, values=values, errors=exc.errors), status_code=422)
    return HTMLResponse(service.render(form, number=number))
