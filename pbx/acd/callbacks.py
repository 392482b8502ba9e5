"""Callbacks that keep the caller's place: a waiting caller presses the queue's callback
key, hears a confirmation and hangs up, and their contact stays in the queue where it
was (``Router.replace``). When its turn comes the ACD places the call agent first
(``AgentFirstDialer``): the agent's phone rings, then the caller's number.

Each request is also a row (``CallbackStore``), written before the caller hears the
confirmation: a controller that restarts puts its unfinished requests back in line at
their old places (``restore``). The queue log keeps ``callback_requested``,
``callback_restored`` and ``callback_completed`` (outcome ``answered``, ``not_reached``,
or ``interrupted`` when the controller stopped during the conversation).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from pbx.acd.agent_first import AgentFirstDialer, DialOut, Reached
from pbx.acd.callback_store import PENDING, CallbackStore
from pbx.acd.queue_log import QueueEventKind
from pbx.acd.routing import Offer, RingAll
from pbx.acd.service import AcdService
from pbx.call import Call
from pbx.ivr.prompts import MESSAGES, ResolvedPrompt
from pbx.media.tts import TtsError
from pbx.prompt_media import PromptMedia
from switchboard.db_types import utcnow

log = logging.getLogger(__name__)


class CallbackDesk:
    def __init__(self, acd: AcdService, store: CallbackStore, dialer: AgentFirstDialer) -> None:
        self.acd = acd
        self.store = store
        self.dialer = dialer
        self.pending: dict[str, DialOut] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, call: Call, media: PromptMedia | None) -> bool:
        """Turn the waiting caller's place into a callback, confirm and hang up; False
        (nothing changes) when an agent's phone is already ringing for the caller."""
        acd = self.acd
        waiting = acd.router.contacts.get(call.id)
        if waiting is None or waiting.agent is not None or waiting.ringing:
            return False
        contact = f"callback-{call.id}"
        queued = acd.router.replace(call.id, contact)
        acd.waiting.pop(call.id, None)
        self.pending[contact] = DialOut(contact, call.caller_number, queued.queue, acd.now())
        acd.offer_handlers[contact] = self._offered
        try:
            await self.store.add(
                contact,
                queue=queued.queue,
                number=call.caller_number,
                call_id=call.id,
                entered_at=utcnow() - timedelta(seconds=acd.now() - queued.entered_at),
                priority=queued.priority,
                skills=queued.skills,
            )
        except Exception:  # the database is away: served from memory, as long as we run
            log.exception("callback %s: not stored; it is lost if the controller stops", contact)
        await acd.log.record(
            QueueEventKind.CALLBACK_REQUESTED,
            queue=queued.queue,
            contact=contact,
            number=call.caller_number,
            call=call.id,
            position=acd.router.position(contact),
        )
        call.step("callback_requested", queue=queued.queue)
        if media is not None:
            language = call.language if call.language in MESSAGES["callback_done"] else "en"
            text = MESSAGES["callback_done"][language]
            try:
                spoken = await media.media([ResolvedPrompt("tts", text, language)])
            except TtsError as exc:  # the place is kept all the same
                log.error("callback %s: no confirmation prompt: %s", contact, exc)
            else:
                await call.play(spoken)
        await call.hangup()
        return True

    async def restore(self) -> int:
        """Put this node's unfinished requests back in line where they were; a request
        whose conversation was under way when the controller stopped is closed as
        ``interrupted``. Returns how many wait again."""
        acd = self.acd
        restored = 0
        for row in await self.store.unfinished():
            contact = row.contact_id
            if row.status != PENDING or not acd.knows_queue(row.queue):
                outcome = "interrupted" if row.status != PENDING else "queue_removed"
                await self.store.done(contact, outcome)
                await acd.log.record(
                    QueueEventKind.CALLBACK_COMPLETED,
                    queue=row.queue,
                    contact=contact,
                    number=row.number,
                    outcome=outcome,
                )
                continue
            now, wall = acd.now(), utcnow()
            acd.router.restore_callback(
                contact,
                row.queue,
                now,
                waited=(wall - row.entered_at).total_seconds(),
                priority=row.priority,
                skills=row.skills,
            )
            waited = (wall - row.requested_at).total_seconds()
            self.pending[contact] = DialOut(contact, row.number, row.queue, now - waited)
            acd.offer_handlers[contact] = self._offered
            await acd.log.record(
                QueueEventKind.CALLBACK_RESTORED,
                queue=row.queue,
                contact=contact,
                number=row.number,
                position=acd.router.position(contact),
            )
            restored += 1
        if restored:
            acd.wake()
        return restored

    def _offered(self, decision: Offer | RingAll, routing_ms: float) -> None:
        task = asyncio.create_task(
            self._serve(decision, routing_ms), name=f"callback-{decision.contact}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, decision: Offer | RingAll, routing_ms: float) -> None:
        acd = self.acd
        contact = decision.contact
        job = self.pending[contact]
        reached = await self.dialer.place(
            job, decision, routing_ms, on_connected=lambda: self.store.connected(contact)
        )
        if reached is Reached.AGENT_NO_ANSWER:  # waits at its place for the next agent
            await acd.agent_changed(acd.router.no_answer(contact, acd.now(), job.refused))
            acd.wake()
            return
        self.pending.pop(contact, None)
        acd.offer_handlers.pop(contact, None)
        try:
            await self.store.done(contact, reached.value)
        except Exception:  # the queue log below still tells the outcome
            log.exception("callback %s: its request row is not closed", contact)
        await acd.log.record(
            QueueEventKind.CALLBACK_COMPLETED,
            queue=job.queue,
            contact=contact,
            agent=job.agent,
            number=job.number,
            outcome=reached.value,
            talk_seconds=job.talk_seconds,
        )
