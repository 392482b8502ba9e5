"""A ticket's channel traffic, for the desk (people who may read internal notes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from channels.messages import ChannelMessages
from ticketing.access.roles import Permission, Principal
from web.deps import Context, require

router = APIRouter(prefix="/api", tags=["channels"])
DeskReader = Annotated[Principal, Depends(require(Permission.INTERNAL_NOTES))]


class InboundOut(BaseModel):
    id: int
    channel: str
    sender: str
    sender_name: str
    subject: str
    html: str  # sanitised: safe to show
    refs: list[str]
    attachments: list[dict[str, Any]]
    status: str
    reason: str
    entry_id: int | None
    received_at: datetime


class OutboundOut(BaseModel):
    id: int
    channel: str
    entry_id: int | None
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    provider_id: str
    delivery: str | None
    sent_at: datetime | None


class TrafficOut(BaseModel):
    inbound: list[InboundOut]
    outbound: list[OutboundOut]


def get_messages(context: Context) -> ChannelMessages:
    return ChannelMessages(context.db)


@router.get("/tickets/{number}/channel-messages")
async def channel_messages(
    number: str,
    actor: DeskReader,
    messages: Annotated[ChannelMessages, Depends(get_messages)],
) -> TrafficOut:
    """Messages received on customer channels and replies sent, with delivery status."""
    traffic = await messages.of_ticket(actor, number)
    return TrafficOut(
        inbound=[InboundOut.model_validate(m, from_attributes=True) for m in traffic.inbound],
        outbound=[
            OutboundOut.model_validate({**m.model_dump(), "delivery": m.meta.get("delivery")})
            for m in traffic.outbound
        ],
    )
