"""Call handlers: what Switchboard does with a call once the controller owns it."""

from __future__ import annotations

from pbx.call import Call
from pbx.controller import CallHandler


def greeting_handler(media: list[str]) -> CallHandler:
    """Answer, play ``media``, hang up. A call recovered after a restart is ended cleanly."""

    async def handle(call: Call) -> None:
        if call.recovered:
            await call.hangup()
            return
        await call.answer()
        await call.play(media)

    return handle
