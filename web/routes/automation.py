"""Automation rules (with YAML export and import) and outgoing webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from ticketing.automation.models import Rule, Webhook
from web.deps import AutomationManager, PathId, Services
from web.schemas_automation import (
    DeliveryOut,
    RuleIn,
    RuleOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/api", tags=["automation"])


def _rule(rule: Rule) -> RuleOut:
    return RuleOut.model_validate(rule, from_attributes=True)


def _hook(hook: Webhook) -> WebhookOut:
    return WebhookOut.model_validate(hook, from_attributes=True)


@router.get("/rules")
async def list_rules(services: Services, _actor: AutomationManager) -> list[RuleOut]:
    return [_rule(r) for r in await services.rules.list()]


@router.post("/rules", status_code=201)
async def create_rule(body: RuleIn, services: Services, actor: AutomationManager) -> RuleOut:
    return _rule(await services.rules.save(actor, **body.model_dump()))


@router.put("/rules/{rule_id}")
async def replace_rule(
    rule_id: PathId, body: RuleIn, services: Services, actor: AutomationManager
) -> RuleOut:
    return _rule(await services.rules.save(actor, **body.model_dump(), rule_id=rule_id))


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: PathId, services: Services, actor: AutomationManager) -> Response:
    await services.rules.delete(actor, rule_id)
    return Response(status_code=204)


@router.get("/rules/export.yaml", response_class=Response)
async def export_rules(services: Services, _actor: AutomationManager) -> Response:
    """Every rule as YAML, ready for import elsewhere (or for review in version control)."""
    return Response(await services.rules.export_yaml(), media_type="application/yaml")


@router.post("/rules/import.yaml")
async def import_rules(
    services: Services,
    actor: AutomationManager,
    document: Annotated[str, Body(media_type="application/yaml", max_length=1_000_000)],
) -> list[RuleOut]:
    """Create or replace (by name) the rules of a YAML document like the export."""
    return [_rule(r) for r in await services.rules.import_yaml(actor, document)]


@router.get("/webhooks")
async def list_webhooks(services: Services, _actor: AutomationManager) -> list[WebhookOut]:
    return [_hook(h) for h in await services.webhooks.list()]


@router.post("/webhooks", status_code=201)
async def create_webhook(
    body: WebhookIn, services: Services, actor: AutomationManager
) -> WebhookCreated:
    """A webhook and its signing secret, shown only in this response."""
    hook = await services.webhooks.create(actor, body.name, body.url, body.events)
    return WebhookCreated(**_hook(hook).model_dump(), secret=hook.secret)


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(
    webhook_id: PathId, body: WebhookPatch, services: Services, actor: AutomationManager
) -> WebhookOut:
    hook = await services.webhooks.update(actor, webhook_id, **body.model_dump())
    return _hook(hook)


@router.get("/webhooks/{webhook_id}/deliveries")
async def webhook_deliveries(
    webhook_id: PathId, services: Services, _actor: AutomationManager
) -> list[DeliveryOut]:
    """The delivery log, newest first: attempts, status codes, errors."""
    rows = await services.webhooks.deliveries(webhook_id)
    return [DeliveryOut.model_validate(d, from_attributes=True) for d in rows]
