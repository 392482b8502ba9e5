"""A caller waiting for an agent, in the caller's call task: music on hold, and every
``announce_every`` seconds their position and estimated wait (``announcements.py``).

The wait ends with the ACD's next event for the call (an offer, a ring-all, or leaving
the queue), or with ``CallbackChosen`` when the caller presses the queue's callback key
(only offered when the system can dial callers back). An announcement being played when
an offer arrives is cut short: the caller is never kept from an agent by a prompt. Every
announcement is in the queue log, written once Asterisk has started playing it on the
caller's channel.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from pbx.acd.announcements import announcement
from pbx.acd.queue_log import QueueEventKind
from pbx.acd.service import AcdService
from pbx.ari.errors import AriError
from pbx.ari.models import AriEvent, ChannelDtmfReceived, PlaybackFinished, PlaybackStarted
from pbx.call import Call
from pbx.media.tts import TtsError
from pbx.prompt_media import PromptMedia

log = logging.getLogger(__name__)

IsAcdEvent = Callable[[AriEvent], bool]


class CallbackChosen(AriEvent):
    """The waiting caller pressed the queue's callback key."""

    key: str


class WaitingRoom:
    def __init__(
        self, acd: AcdService, media: PromptMedia | None, *, callbacks: bool = False
    ) -> None:
        self.acd = acd
        self.media = media  # None: no text-to-speech here, so no announcements
        self.callbacks = callbacks  # whether callers can be dialled back

    async def wait(self, call: Call, is_acd_event: IsAcdEvent) -> AriEvent:
        """Hold until the ACD's next event for ``call`` (or ``CallbackChosen``);
        CallEnded when the caller leaves."""
        acd = self.acd
        while True:
            contact = acd.router.contacts.get(call.id)
            queue = acd.router.queues.get(contact.queue) if contact is not None else None
            every = queue.announce_every if queue is not None else None
            key = queue.callback_key if queue is not None and self.callbacks else None

            def wanted(e: AriEvent, key: str | None = key) -> bool:
                return is_acd_event(e) or (
                    key is not None
                    and isinstance(e, ChannelDtmfReceived)
                    and e.channel.id == call.id
                    and e.digit == key
                )

            if every is None or self.media is None:
                event = await call.wait_for(wanted)
            else:
                event = await call.wait_for(wanted, every)
                if event is None:
                    event = await self._announce(call, wanted, key)
            if isinstance(event, ChannelDtmfReceived):
                call.digits.clear()
                return CallbackChosen(type="SwitchboardCallbackChosen", key=event.digit)
            if event is not None:
                return event

    async def _announce(
        self, call: Call, is_acd_event: IsAcdEvent, callback_key: str | None
    ) -> AriEvent | None:
        """Play the caller's position and estimated wait; an ACD event that arrives
        meanwhile stops the prompt and is returned."""
        acd = self.acd
        assert self.media is not None
        contact = acd.router.contacts.get(call.id)
        if contact is None or contact.agent is not None or contact.ringing:
            return None
        position = acd.router.position(call.id)
        said = announcement(
            position,
            acd.router.handling_times(contact.queue),
            acd.router.serving(contact.queue),
            call.language,
            callback_key,
        )
        try:
            media = await self.media.media(said.prompts())
        except TtsError as exc:  # the caller keeps waiting on music instead
            log.error("call %s: no announcement: %s", call.id, exc)
            return None
        playback = uuid.uuid4().hex
        with contextlib.suppress(AriError):
            await call.ari.stop_moh(call.id)
        try:
            await call.ari.play(call.id, media, playback, lang=call.language)
            while True:
                event = await call.wait_for(
                    lambda e: (
                        is_acd_event(e)
                        or (
                            isinstance(e, PlaybackStarted | PlaybackFinished)
                            and e.playback.id == playback
                        )
                    )
                )
                assert event is not None
                if isinstance(event, PlaybackStarted):
                    await acd.log.record(
                        QueueEventKind.ANNOUNCED,
                        queue=contact.queue,
                        contact=call.id,
                        position=said.position,
                        estimated_seconds=said.estimated_seconds,
                        language=said.prompts()[0].language,
                    )
                    continue
                if isinstance(event, PlaybackFinished):
                    return None
                with contextlib.suppress(AriError):
                    await call.ari.stop_playback(playback)
                return event
        finally:
            with contextlib.suppress(AriError):
                await call.ari.start_moh(call.id)
