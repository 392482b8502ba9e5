"""The routing engine: which waiting contact goes to which agent, and when.

Pure Python, no I/O and no clock: every call takes ``now`` (seconds, monotonic) and the
engine returns decisions for its caller to carry out (offer a call, overflow it, ...). So
it is channel-agnostic (voice now; chats and emails use the same queues and agents) and is
tested without Asterisk.

Order: contacts are served by (queue priority + caller priority, highest first), then by
the time they first entered any queue, then by arrival order: the same inputs always give
the same offers, and an agent serving several queues takes the oldest of the most urgent.
Voice contacts move the agent through ``AgentState``; other channels only count against
the agent's capacity for that channel while the agent is ready.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pbx.acd.agent_state import AgentEvent, AgentState, transition
from pbx.acd.errors import AcdError, UnknownAgent, UnknownQueue

VOICE = "voice"
NO_ANSWER_REASON = "no_answer"


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"  # the agent offered least recently
    SKILLS_WEIGHTED = "skills_weighted"  # the best sum of the queue's skills, then idle
    RING_ALL = "ring_all"  # every eligible ready agent at once; the first to answer takes it


HANDLED_WINDOW = 20  # recent handling times per queue kept for wait estimates


@dataclass(frozen=True)
class QueueSpec:
    name: str
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> minimum level
    strategy: Strategy = Strategy.LONGEST_IDLE
    max_wait: float | None = None
    max_callers: int | None = None  # waiting at most; later arrivals overflow or leave
    leave_when_empty: bool = False  # no agent logged in: callers overflow or leave
    overflow: str | None = None  # None: the contact leaves the queue (max wait, full, empty)
    wrapup: float = 10
    no_answer: float = 15
    announce_every: float | None = None  # seconds between position announcements
    callback_key: str | None = None  # the key a waiting caller presses to be called back
    caller_id: str = ""  # shown to customers on calls placed for the queue


@dataclass(frozen=True)
class AgentSpec:
    id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: tuple[str, ...] = ()
    capacity: Mapping[str, int] = field(default_factory=lambda: {VOICE: 1})


@dataclass
class AgentStatus:
    spec: AgentSpec
    state: AgentState = AgentState.LOGGED_OUT
    reason: str = ""
    idle_since: float = 0.0
    last_offered: float = float("-inf")
    wrapup_until: float | None = None
    load: dict[str, int] = field(default_factory=dict)
    resume_reason: str | None = None  # not ready before their own call out: back to it after


@dataclass
class Contact:
    id: str
    queue: str
    channel: str
    priority: int
    entered_at: float  # first entry into any queue: fairness survives overflow
    queue_entered_at: float  # entry into the current queue: max wait counts from here
    seq: int
    skills: Mapping[str, int] = field(default_factory=dict)  # the contact's own minimums
    agent: str | None = None  # offered to or handled by
    ringing: tuple[str, ...] = ()  # ring-all: every agent whose phone rings for it
    answered: bool = False
    answered_at: float | None = None
    ready_at: float = 0.0  # since when it could be offered (entry, or back after no answer)
    callback: bool = False  # a caller to dial back: waits for its turn, never times out
    wanted_agent: str | None = None  # transferred to this agent: only they are offered it
    own_call: bool = False  # the wanted agent's own call out: offered even when not ready
    admitted: bool = False  # counted against its queue's length limit


# --- decisions ----------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    contact: str
    agent: str
    queue: str
    timeout: float


@dataclass(frozen=True)
class RingAll:
    """Ring every agent in ``agents`` at once; the first to answer takes the contact."""

    contact: str
    agents: tuple[str, ...]
    queue: str
    timeout: float


class LeaveReason(StrEnum):
    MAX_WAIT = "max_wait"  # waited the queue's longest
    FULL = "full"  # the queue had its most callers waiting
    NO_AGENTS = "no_agents"  # nobody is logged in to serve the queue


@dataclass(frozen=True)
class Overflow:
    contact: str
    from_queue: str
    to_queue: str
    reason: LeaveReason = LeaveReason.MAX_WAIT


@dataclass(frozen=True)
class LeftQueue:
    """The contact leaves queueing unanswered (no overflow queue to take it)."""

    contact: str
    queue: str
    reason: LeaveReason = LeaveReason.MAX_WAIT


@dataclass(frozen=True)
class AgentChanged:
    agent: str
    state: AgentState
    reason: str


Decision = Offer | RingAll | Overflow | LeftQueue | AgentChanged

# A contact's end frees its agent by these events; one who was not ready before their own
# call out goes back to not ready instead of ready.
_FREED = (AgentEvent.OFFER_WITHDRAWN, AgentEvent.WRAP_UP_DONE)


class Router:
    def __init__(self, queues: Iterable[QueueSpec] = (), agents: Iterable[AgentSpec] = ()) -> None:
        self.queues: dict[str, QueueSpec] = {}
        self.agents: dict[str, AgentStatus] = {}
        self.contacts: dict[str, Contact] = {}
        self.handled: dict[str, deque[float]] = {}  # queue -> recent handling times (s)
        self.released: list[AgentChanged] = []  # ring-all agents freed, for the caller to log
        self._seq = itertools.count()
        self.configure(queues, agents)

    def configure(self, queues: Iterable[QueueSpec], agents: Iterable[AgentSpec]) -> None:
        """Replace the queue and agent definitions, keeping every agent's live state."""
        self.queues = {q.name: q for q in queues}
        specs = {a.id: a for a in agents}
        for agent_id in list(self.agents):
            if agent_id not in specs and self.agents[agent_id].state in (
                AgentState.LOGGED_OUT,
                AgentState.NOT_READY,
                AgentState.READY,
            ):
                del self.agents[agent_id]
        for spec in specs.values():
            status = self.agents.get(spec.id)
            if status is None:
                self.agents[spec.id] = AgentStatus(spec)
            else:
                status.spec = spec

    # --- agents -----------------------------------------------------------------------
    def agent(self, agent_id: str) -> AgentStatus:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise UnknownAgent(f"no agent has extension {agent_id}") from None

    def _move(self, status: AgentStatus, event: AgentEvent, reason: str = "") -> AgentChanged:
        state = transition(status.state, event)
        if state is AgentState.READY and status.resume_reason is not None and event in _FREED:
            # the call was their own, made while not ready: back to that, not to callers
            state = transition(state, AgentEvent.NOT_READY)
            reason = status.resume_reason
        if state in (AgentState.READY, AgentState.NOT_READY, AgentState.LOGGED_OUT):
            status.resume_reason = None
        status.state = state
        status.reason = reason if state is AgentState.NOT_READY else ""
        return AgentChanged(status.spec.id, status.state, status.reason)

    def login(self, agent_id: str, now: float) -> AgentChanged:
        return self._move(self.agent(agent_id), AgentEvent.LOGIN, "logged_in")

    def ready(self, agent_id: str, now: float) -> AgentChanged:
        status = self.agent(agent_id)
        changed = self._move(status, AgentEvent.READY)
        status.idle_since = now
        return changed

    def not_ready(self, agent_id: str, reason: str, now: float) -> AgentChanged:
        status = self.agent(agent_id)
        status.wrapup_until = None
        return self._move(status, AgentEvent.NOT_READY, reason or "not_ready")

    def logout(self, agent_id: str, now: float) -> AgentChanged:
        return self._move(self.agent(agent_id), AgentEvent.LOGOUT)

    def engage(self, agent_id: str, now: float) -> AgentChanged:
        """A ready agent's phone rings outside routing (added to a conference): they are
        offered, so nobody routes a caller to them meanwhile."""
        status = self.agent(agent_id)
        changed = self._move(status, AgentEvent.OFFER)
        status.load[VOICE] = status.load.get(VOICE, 0) + 1
        status.last_offered = now
        return changed

    def engaged_answered(self, agent_id: str) -> AgentChanged:
        return self._move(self.agent(agent_id), AgentEvent.ANSWER)

    def disengage(self, agent_id: str, now: float, wrapup: float) -> AgentChanged:
        """The engaged agent left: wrap-up after talking, ready again if it only rang."""
        status = self.agent(agent_id)
        self._unload(status, VOICE)
        if status.state is AgentState.OFFERED:
            return self._move(status, AgentEvent.OFFER_WITHDRAWN)
        status.wrapup_until = now + wrapup
        return self._move(status, AgentEvent.END)

    # --- contacts -----------------------------------------------------------------------
    def enqueue(
        self,
        contact_id: str,
        queue: str,
        now: float,
        *,
        channel: str = VOICE,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        agent: str | None = None,
        own_call: bool = False,
    ) -> Contact:
        """Queue a contact; ``skills`` (name -> minimum level) add to the queue's own.
        With ``agent`` only that agent is offered it (a transfer to a named agent) until
        they do not answer; then it waits for the queue's agents like any other. With
        ``own_call`` it is that agent's own call out, offered to them ready or not ready."""
        if queue not in self.queues:
            raise UnknownQueue(f"no queue is named '{queue}'")
        if contact_id in self.contacts:
            raise AcdError(f"contact {contact_id} is already queued")
        contact = Contact(
            contact_id, queue, channel, priority, now, now, next(self._seq), dict(skills or {})
        )
        contact.ready_at = now
        contact.wanted_agent = agent
        contact.own_call = own_call and agent is not None
        self.contacts[contact_id] = contact
        return contact

    def replace(self, old_id: str, new_id: str, *, callback: bool = True) -> Contact:
        """The same place in line under another id (a caller's wait turned into a
        callback): entry time and arrival order are kept, so nobody who came later is
        served first, and nobody who came earlier is passed."""
        contact = self.contact(old_id)
        if contact.agent is not None or contact.ringing:
            raise AcdError(f"contact {old_id} is being offered and cannot change")
        if new_id in self.contacts:
            raise AcdError(f"contact {new_id} is already queued")
        del self.contacts[old_id]
        contact.id = new_id
        contact.callback = callback
        self.contacts[new_id] = contact
        return contact

    def restore_callback(
        self,
        contact_id: str,
        queue: str,
        now: float,
        *,
        waited: float,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
    ) -> Contact:
        """A callback kept over a restart: back in line as if it had entered ``waited``
        seconds ago, so it stays ahead of later arrivals and behind earlier ones."""
        contact = self.enqueue(contact_id, queue, now, priority=priority, skills=skills)
        contact.entered_at = contact.queue_entered_at = now - max(0.0, waited)
        contact.callback = True
        return contact

    def contact(self, contact_id: str) -> Contact:
        try:
            return self.contacts[contact_id]
        except KeyError:
            raise AcdError(f"no contact {contact_id} in the queues") from None

    def position(self, contact_id: str) -> int:
        """1-based place among the contacts waiting in the same queue."""
        contact = self.contact(contact_id)
        waiting = [c for c in self._waiting() if c.queue == contact.queue]
        return waiting.index(contact) + 1 if contact in waiting else 0

    def withdraw(self, contact_id: str, now: float) -> tuple[Contact, AgentChanged | None]:
        """The contact left (a caller hung up) before or while being offered. With ring-all
        every ringing agent is freed; the first of them is the change returned, the others
        are in ``released``."""
        contact = self.contacts.pop(contact_id)
        changed = None
        if contact.ringing:
            freed = self._stop_ringing(contact, keep=None)
            self.released.extend(freed)
            return contact, None
        if contact.agent is not None and not contact.answered:
            status = self.agents[contact.agent]
            self._unload(status, contact.channel)
            if contact.channel == VOICE:
                changed = self._move(status, AgentEvent.OFFER_WITHDRAWN)
        return contact, changed

    def answered(
        self, contact_id: str, now: float, agent: str | None = None
    ) -> AgentChanged | None:
        """The contact was answered; with ring-all, ``agent`` says who took it and the
        others stop ringing (their changes are in ``released``)."""
        contact = self.contact(contact_id)
        if contact.ringing:
            if agent not in contact.ringing:
                raise AcdError(f"agent {agent} was not ringing for contact {contact_id}")
            self.released.extend(self._stop_ringing(contact, keep=agent))
            contact.agent = agent
        if contact.agent is None:
            raise AcdError(f"contact {contact_id} was not offered to an agent")
        contact.answered = True
        contact.answered_at = now
        if contact.channel != VOICE:
            return None
        return self._move(self.agents[contact.agent], AgentEvent.ANSWER)

    def no_answer(
        self, contact_id: str, now: float, refused: Iterable[str] = ()
    ) -> AgentChanged | None:
        """The offer was not taken: the contact waits again at its old place, the agent is
        set not ready (reason ``no_answer``) so the next offer goes to someone else. With
        ring-all, agents whose phones only rang stay ready; those in ``refused`` (their
        phone could not be rung or turned the call down) are set not ready."""
        contact = self.contact(contact_id)
        if contact.ringing:
            refusing = set(refused)
            for agent_id in contact.ringing:
                if agent_id in refusing:
                    status = self.agents[agent_id]
                    self._unload(status, contact.channel)
                    self.released.append(self._move(status, AgentEvent.NO_ANSWER, NO_ANSWER_REASON))
            contact.ringing = tuple(a for a in contact.ringing if a not in refusing)
            self.released.extend(self._stop_ringing(contact, keep=None))
            contact.ready_at = now
            contact.wanted_agent = None
            return None
        if contact.agent is None or contact.answered:
            raise AcdError(f"contact {contact_id} is not being offered")
        status = self.agents[contact.agent]
        contact.agent = None
        contact.ready_at = now
        contact.wanted_agent = None  # back to the queue's agents
        self._unload(status, contact.channel)
        if contact.channel != VOICE:
            return None
        return self._move(status, AgentEvent.NO_ANSWER, NO_ANSWER_REASON)

    def ended(self, contact_id: str, now: float) -> AgentChanged | None:
        """A handled contact ended: the agent wraps up for the queue's wrap-up time."""
        contact = self.contacts.pop(contact_id)
        if contact.agent is None or not contact.answered:
            raise AcdError(f"contact {contact_id} was not answered by an agent")
        status = self.agents[contact.agent]
        self._unload(status, contact.channel)
        queue = self.queues.get(contact.queue)
        wrapup = queue.wrapup if queue is not None else 0
        if contact.answered_at is not None:
            window = self.handled.setdefault(contact.queue, deque(maxlen=HANDLED_WINDOW))
            window.append(now - contact.answered_at + wrapup)
        if contact.channel != VOICE:
            return None
        status.wrapup_until = now + wrapup
        return self._move(status, AgentEvent.END)

    # --- the decisions ----------------------------------------------------------------
    def step(self, now: float) -> list[Decision]:
        """Finish wrap-ups, turn away contacts a queue cannot take (full, or nobody to
        serve it), apply max waits, then offer waiting contacts to free agents."""
        decisions: list[Decision] = []
        for status in self.agents.values():
            if status.state is AgentState.WRAP_UP and (status.wrapup_until or 0) <= now:
                status.wrapup_until = None
                decisions.append(self._move(status, AgentEvent.WRAP_UP_DONE))
                status.idle_since = now
        for contact in self._waiting():
            decisions.extend(self._admit(contact, now))
        for contact in self._waiting():
            queue = self.queues[contact.queue]
            if queue.max_wait is None or now - contact.queue_entered_at < queue.max_wait:
                continue
            if contact.callback:
                continue
            if queue.overflow is not None and queue.overflow in self.queues:
                decisions.append(Overflow(contact.id, contact.queue, queue.overflow))
                contact.queue = queue.overflow
                contact.queue_entered_at = now
            else:
                del self.contacts[contact.id]
                decisions.append(LeftQueue(contact.id, contact.queue))
        for contact in self._waiting():
            queue = self.queues[contact.queue]
            if queue.strategy is Strategy.RING_ALL:
                ring = self._ring_all(contact, queue, now)
                if ring is not None:
                    decisions.append(ring)
                continue
            status = self._best_agent(contact)
            if status is None:
                continue
            contact.agent = status.spec.id
            self._offer(status, contact, now)
            queue = self.queues[contact.queue]
            decisions.append(Offer(contact.id, status.spec.id, queue.name, queue.no_answer))
        return decisions

    def _admit(self, contact: Contact, now: float) -> list[Decision]:
        """Overflow (to a queue it has not been turned away from yet) or leave while the
        contact's queue cannot take it; else it is admitted, and counts against the
        queue's limit."""
        if contact.callback or contact.wanted_agent is not None:
            return []  # a caller's kept place, or a contact for one agent only
        decisions: list[Decision] = []
        refused_by: set[str] = set()
        while (reason := self._refusal(contact)) is not None:
            queue = self.queues[contact.queue]
            refused_by.add(queue.name)
            if queue.overflow not in self.queues or queue.overflow in refused_by:
                del self.contacts[contact.id]
                decisions.append(LeftQueue(contact.id, contact.queue, reason))
                return decisions
            decisions.append(Overflow(contact.id, contact.queue, queue.overflow, reason))
            contact.queue, contact.queue_entered_at = queue.overflow, now
            contact.admitted = False
        contact.admitted = True
        return decisions

    def _refusal(self, contact: Contact) -> LeaveReason | None:
        queue = self.queues[contact.queue]
        if queue.leave_when_empty and self.serving(queue.name) == 0:
            return LeaveReason.NO_AGENTS
        if contact.admitted or queue.max_callers is None:
            return None
        admitted = sum(
            1
            for c in self.contacts.values()
            if c.queue == queue.name and c.admitted and not c.answered
        )
        return LeaveReason.FULL if admitted >= queue.max_callers else None

    def next_due(self) -> float | None:
        """When ``step`` next has time-based work (a wrap-up ending, a max wait)."""
        times = [s.wrapup_until for s in self.agents.values() if s.wrapup_until is not None]
        for contact in self._waiting():
            max_wait = self.queues[contact.queue].max_wait
            if max_wait is not None and not contact.callback:
                times.append(contact.queue_entered_at + max_wait)
        return min(times, default=None)

    def _ring_all(self, contact: Contact, queue: QueueSpec, now: float) -> RingAll | None:
        candidates = [s for s in self.agents.values() if self._eligible(s, contact, queue)]
        if not candidates:
            return None
        ordered = sorted(candidates, key=lambda s: (s.idle_since, s.spec.id))
        for status in ordered:
            self._offer(status, contact, now)
        contact.ringing = tuple(s.spec.id for s in ordered)
        return RingAll(contact.id, contact.ringing, queue.name, queue.no_answer)

    def _offer(self, status: AgentStatus, contact: Contact, now: float) -> None:
        status.load[contact.channel] = status.load.get(contact.channel, 0) + 1
        status.last_offered = now
        if contact.channel == VOICE:
            if status.state is AgentState.NOT_READY:  # their own call out
                status.resume_reason = status.reason
            self._move(status, AgentEvent.OFFER)

    def _stop_ringing(self, contact: Contact, keep: str | None) -> list[AgentChanged]:
        freed: list[AgentChanged] = []
        for agent_id in contact.ringing:
            if agent_id == keep:
                continue
            status = self.agents[agent_id]
            self._unload(status, contact.channel)
            if contact.channel == VOICE:
                freed.append(self._move(status, AgentEvent.OFFER_WITHDRAWN))
        contact.ringing = ()
        return freed

    def take_released(self) -> list[AgentChanged]:
        """Agents freed by ring-all since the last call (they stopped ringing)."""
        released, self.released = self.released, []
        return released

    def handling_times(self, queue: str) -> list[float]:
        """Recent handling times (answer to end plus wrap-up), oldest first."""
        return list(self.handled.get(queue, ()))

    def serving(self, queue: str) -> int:
        """Agents logged in to ``queue`` (whatever they are doing now)."""
        return sum(
            1
            for s in self.agents.values()
            if queue in s.spec.queues and s.state is not AgentState.LOGGED_OUT
        )

    def _waiting(self) -> list[Contact]:
        waiting = [c for c in self.contacts.values() if c.agent is None and not c.ringing]
        return sorted(
            waiting,
            key=lambda c: (-(self.queues[c.queue].priority + c.priority), c.entered_at, c.seq),
        )

    def _eligible(self, status: AgentStatus, contact: Contact, queue: QueueSpec) -> bool:
        spec = status.spec
        if contact.wanted_agent is not None:
            free = status.state is AgentState.READY or (
                contact.own_call and status.state is AgentState.NOT_READY
            )
            return (
                spec.id == contact.wanted_agent
                and free
                and status.load.get(contact.channel, 0) < spec.capacity.get(contact.channel, 0)
            )
        return (
            status.state is AgentState.READY
            and queue.name in spec.queues
            and status.load.get(contact.channel, 0) < spec.capacity.get(contact.channel, 0)
            and all(spec.skills.get(s, 0) >= level for s, level in queue.skills.items())
            and all(spec.skills.get(s, 0) >= level for s, level in contact.skills.items())
        )

    def _best_agent(self, contact: Contact) -> AgentStatus | None:
        queue = self.queues[contact.queue]
        candidates = [s for s in self.agents.values() if self._eligible(s, contact, queue)]
        if not candidates:
            return None
        if queue.strategy is Strategy.ROUND_ROBIN:
            return min(candidates, key=lambda s: (s.last_offered, s.spec.id))
        if queue.strategy is Strategy.SKILLS_WEIGHTED:
            return min(
                candidates,
                key=lambda s: (
                    -sum(s.spec.skills.get(name, 0) for name in queue.skills),
                    s.idle_since,
                    s.spec.id,
                ),
            )
        return min(candidates, key=lambda s: (s.idle_since, s.spec.id))

    @staticmethod
    def _unload(status: AgentStatus, channel: str) -> None:
        status.load[channel] = max(0, status.load.get(channel, 0) - 1)
