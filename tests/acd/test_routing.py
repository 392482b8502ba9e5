"""The routing engine and the agent state machine, without any I/O."""

from __future__ import annotations

import pytest

from pbx.acd.agent_state import AgentEvent, AgentState, IllegalAgentTransition, transition
from pbx.acd.announcements import (
    DEFAULT_HANDLING_SECONDS,
    POSITION,
    WAIT_MINUTES,
    WAIT_SHORT,
    announcement,
    estimated_wait,
)
from pbx.acd.errors import UnknownQueue
from pbx.acd.routing import (
    AgentChanged,
    AgentSpec,
    LeaveReason,
    LeftQueue,
    Offer,
    Overflow,
    QueueSpec,
    RingAll,
    Router,
    Strategy,
)


def _ready(router: Router, *agents: str, at: float = 0) -> None:
    for offset, agent in enumerate(agents):
        router.login(agent, at)
        router.ready(agent, at + offset)


def _offers(decisions: list) -> list[tuple[str, str]]:
    return [(d.contact, d.agent) for d in decisions if isinstance(d, Offer)]


def test_illegal_agent_transitions_raise() -> None:
    assert transition(AgentState.READY, AgentEvent.OFFER) is AgentState.OFFERED
    assert transition(AgentState.OFFERED, AgentEvent.NO_ANSWER) is AgentState.NOT_READY
    with pytest.raises(IllegalAgentTransition, match="'logged_out' cannot take 'offer'"):
        transition(AgentState.LOGGED_OUT, AgentEvent.OFFER)
    with pytest.raises(IllegalAgentTransition):
        transition(AgentState.ON_CALL, AgentEvent.READY)


def test_longest_idle_agent_gets_the_first_caller() -> None:
    router = Router([QueueSpec("sales")], [AgentSpec(a, queues=("sales",)) for a in "abc"])
    _ready(router, "b", "c", "a")  # b idle longest, then c, then a
    router.enqueue("call1", "sales", 10)
    router.enqueue("call2", "sales", 11)
    assert _offers(router.step(12)) == [("call1", "b"), ("call2", "c")]
    assert router.agent("a").state is AgentState.READY


def test_round_robin_and_skills_weighted() -> None:
    queues = [
        QueueSpec("rr", strategy=Strategy.ROUND_ROBIN),
        QueueSpec("sw", skills={"fi": 3}, strategy=Strategy.SKILLS_WEIGHTED),
    ]
    agents = [
        AgentSpec("a", skills={"fi": 4}, queues=("rr", "sw")),
        AgentSpec("b", skills={"fi": 9}, queues=("rr", "sw")),
        AgentSpec("c", skills={"fi": 2}, queues=("sw",)),
    ]
    router = Router(queues, agents)
    _ready(router, "a", "b", "c")
    router.enqueue("x", "sw", 5)
    assert _offers(router.step(5)) == [("x", "b")]  # best skill; c lacks the minimum
    router.answered("x", 6)
    router.ended("x", 7)
    router.enqueue("y", "rr", 8)
    assert _offers(router.step(8)) == [("y", "a")]  # a was never offered


def test_priority_then_oldest_across_queues() -> None:
    queues = [QueueSpec("low"), QueueSpec("high", priority=5)]
    router = Router(queues, [AgentSpec("a", queues=("low", "high"))])
    router.enqueue("old-low", "low", 1)
    router.enqueue("new-high", "high", 2)
    router.enqueue("vip-low", "low", 3, priority=10)
    _ready(router, "a", at=4)
    assert _offers(router.step(4)) == [("vip-low", "a")]
    assert router.position("new-high") == 1
    assert router.position("old-low") == 1


def test_no_answer_sets_the_agent_not_ready_and_offers_the_next() -> None:
    router = Router([QueueSpec("q", no_answer=15)], [AgentSpec(a, queues=("q",)) for a in "ab"])
    _ready(router, "a", "b")
    router.enqueue("call", "q", 2)
    assert router.step(2) == [Offer("call", "a", "q", 15)]
    changed = router.no_answer("call", 17)
    assert changed == AgentChanged("a", AgentState.NOT_READY, "no_answer")
    assert _offers(router.step(17)) == [("call", "b")]


def test_wrap_up_is_respected() -> None:
    router = Router([QueueSpec("q", wrapup=30)], [AgentSpec("a", queues=("q",))])
    _ready(router, "a")
    router.enqueue("c1", "q", 1)
    router.step(1)
    router.answered("c1", 2)
    assert router.ended("c1", 10) == AgentChanged("a", AgentState.WRAP_UP, "")
    router.enqueue("c2", "q", 11)
    assert router.step(39) == []
    assert router.next_due() == 40
    decisions = router.step(40)
    assert decisions == [AgentChanged("a", AgentState.READY, ""), Offer("c2", "a", "q", 15)]


def test_overflow_after_max_wait_keeps_the_caller_first() -> None:
    queues = [QueueSpec("first", max_wait=60, overflow="backup"), QueueSpec("backup")]
    router = Router(queues, [AgentSpec("b", queues=("backup",))])
    router.enqueue("early", "first", 0)
    router.enqueue("later", "backup", 30)
    assert router.step(59) == []
    login_at = 61
    assert router.step(60) == [Overflow("early", "first", "backup")]
    _ready(router, "b", at=login_at)
    assert _offers(router.step(login_at)) == [("early", "b")]


def test_max_wait_without_overflow_leaves_the_queue() -> None:
    router = Router([QueueSpec("q", max_wait=5)])
    router.enqueue("c", "q", 0)
    assert router.step(5) == [LeftQueue("c", "q")]
    assert "c" not in router.contacts


def test_a_full_queue_turns_later_callers_away_to_its_overflow_or_out() -> None:
    queues = [QueueSpec("small", max_callers=2, overflow="backup"), QueueSpec("backup")]
    router = Router(queues, [AgentSpec("a", queues=("small",)), AgentSpec("b")])
    _ready(router, "a")
    router.not_ready("a", "meeting", 1)  # logged in, so callers wait for them
    for n in range(3):
        router.enqueue(f"c{n}", "small", n)
    assert router.step(3) == [Overflow("c2", "small", "backup", LeaveReason.FULL)]
    # A place frees up when a caller leaves: the next arrival is admitted.
    router.withdraw("c0", 4)
    router.enqueue("c3", "small", 5)
    assert router.step(5) == []
    assert router.contact("c3").queue == "small"
    # Without an overflow queue the caller leaves the queue, for the flow's next step.
    router.queues["small"] = QueueSpec("small", max_callers=2)
    router.enqueue("c4", "small", 6)
    assert router.step(6) == [LeftQueue("c4", "small", LeaveReason.FULL)]
    # A kept callback place is never turned away.
    router.enqueue("cb", "small", 7).callback = True
    assert router.step(7) == []


def test_a_queue_nobody_serves_turns_callers_away_when_asked_to() -> None:
    queues = [
        QueueSpec("night", leave_when_empty=True, overflow="day"),
        QueueSpec("day", leave_when_empty=True),
        QueueSpec("patient"),
    ]
    router = Router(queues, [AgentSpec("a", queues=("night",))])
    router.enqueue("c1", "night", 1)
    router.enqueue("c2", "patient", 1)
    assert router.step(1) == [
        Overflow("c1", "night", "day", LeaveReason.NO_AGENTS),
        LeftQueue("c1", "day", LeaveReason.NO_AGENTS),
    ]
    assert router.contact("c2").queue == "patient"  # the others wait for someone to come
    # Waiting callers leave too when the last agent logs out.
    router.login("a", 2)
    router.enqueue("c3", "night", 3)
    assert router.step(3) == []
    router.logout("a", 4)
    assert router.step(4) == [
        Overflow("c3", "night", "day", LeaveReason.NO_AGENTS),
        LeftQueue("c3", "day", LeaveReason.NO_AGENTS),
    ]


def test_queues_overflowing_into_each_other_do_not_loop() -> None:
    queues = [
        QueueSpec("x", max_callers=1, overflow="y"),
        QueueSpec("y", max_callers=1, overflow="x"),
    ]
    router = Router(queues, [AgentSpec("a", queues=("x", "y"))])
    for n in range(3):
        router.enqueue(f"c{n}", "x", n)
    assert router.step(3) == [
        Overflow("c1", "x", "y", LeaveReason.FULL),
        Overflow("c2", "x", "y", LeaveReason.FULL),
        LeftQueue("c2", "y", LeaveReason.FULL),
    ]


def test_a_caller_leaving_during_the_offer_frees_the_agent() -> None:
    router = Router([QueueSpec("q")], [AgentSpec("a", queues=("q",))])
    _ready(router, "a")
    router.enqueue("c", "q", 1)
    router.step(1)
    contact, changed = router.withdraw("c", 3)
    assert contact.entered_at == 1
    assert changed == AgentChanged("a", AgentState.READY, "")


def test_an_agent_s_own_call_out_while_not_ready_returns_them_to_not_ready() -> None:
    router = Router([QueueSpec("q", wrapup=5)], [AgentSpec(a, queues=("q",)) for a in "ab"])
    _ready(router, "a", "b")
    router.not_ready("a", "outbound", 1)
    # A caller is never offered to a not-ready agent, even one named by a transfer...
    router.enqueue("caller", "q", 2, agent="a")
    assert _offers(router.step(2)) == []
    router.withdraw("caller", 3)
    # ...but their own call out is, ahead of waiting callers.
    router.enqueue("waiting", "q", 3)
    router.enqueue("dial", "q", 4, priority=1_000_000, agent="a", own_call=True)
    assert _offers(router.step(4)) == [("dial", "a"), ("waiting", "b")]
    router.answered("dial", 5)
    assert router.ended("dial", 20) == AgentChanged("a", AgentState.WRAP_UP, "")
    assert AgentChanged("a", AgentState.NOT_READY, "outbound") in router.step(25)
    # Their phone not answered for their own call: back to not ready, not "no answer".
    router.enqueue("dial2", "q", 30, agent="a", own_call=True)
    assert _offers(router.step(30)) == [("dial2", "a")]
    assert router.withdraw("dial2", 31)[1] == AgentChanged("a", AgentState.NOT_READY, "outbound")
    # A ready agent's call out leaves them ready, as before.
    router.answered("waiting", 31)
    router.ended("waiting", 32)
    assert AgentChanged("b", AgentState.READY, "") in router.step(40)
    router.enqueue("dial3", "q", 41, agent="b", own_call=True)
    assert _offers(router.step(41)) == [("dial3", "b")]
    assert router.withdraw("dial3", 42)[1] == AgentChanged("b", AgentState.READY, "")


def test_chat_capacity_is_counted_per_channel() -> None:
    agent = AgentSpec("a", queues=("q",), capacity={"voice": 1, "chat": 2})
    router = Router([QueueSpec("q")], [agent])
    _ready(router, "a")
    for n in range(3):
        router.enqueue(f"chat{n}", "q", n, channel="chat")
    assert _offers(router.step(3)) == [("chat0", "a"), ("chat1", "a")]
    assert router.agent("a").state is AgentState.READY
    router.enqueue("call", "q", 4)
    assert _offers(router.step(4)) == [("call", "a")]


def test_unknown_queue_is_refused() -> None:
    with pytest.raises(UnknownQueue, match="no queue is named 'nope'"):
        Router().enqueue("c", "nope", 0)


def test_ring_all_rings_every_ready_agent_and_the_first_to_answer_takes_it() -> None:
    queues = [QueueSpec("all", strategy=Strategy.RING_ALL, no_answer=20)]
    agents = [AgentSpec(a, queues=("all",)) for a in "abc"]
    router = Router(queues, agents)
    _ready(router, "c", "a")  # b stays logged out
    router.enqueue("call", "all", 5)
    assert router.step(5) == [RingAll("call", ("c", "a"), "all", 20)]
    assert router.agent("a").state is AgentState.OFFERED
    router.enqueue("later", "all", 6)
    assert router.step(6) == []  # everyone free is ringing for the first caller
    assert router.answered("call", 7, "a") == AgentChanged("a", AgentState.ON_CALL, "")
    assert router.take_released() == [AgentChanged("c", AgentState.READY, "")]
    assert router.step(7) == [RingAll("later", ("c",), "all", 20)]


def test_ring_all_without_an_answer_keeps_everyone_ready_and_rings_again() -> None:
    router = Router(
        [QueueSpec("all", strategy=Strategy.RING_ALL)],
        [AgentSpec(a, queues=("all",)) for a in "ab"],
    )
    _ready(router, "a", "b")
    router.enqueue("call", "all", 2)
    router.step(2)
    assert router.no_answer("call", 17) is None
    assert [c.state for c in router.take_released()] == [AgentState.READY] * 2
    assert router.step(17) == [RingAll("call", ("a", "b"), "all", 15)]
    _contact, changed = router.withdraw("call", 18)
    assert changed is None
    assert [c.agent for c in router.take_released()] == ["a", "b"]
    assert router.agent("b").state is AgentState.READY


def test_a_contact_s_own_skills_narrow_the_agents() -> None:
    agents = [
        AgentSpec("a", skills={"sv": 2}, queues=("q",)),
        AgentSpec("b", skills={"sv": 6, "billing": 1}, queues=("q",)),
    ]
    router = Router([QueueSpec("q")], agents)
    _ready(router, "a", "b")
    router.enqueue("swedish", "q", 3, skills={"sv": 5})
    assert _offers(router.step(3)) == [("swedish", "b")]


def test_handling_times_feed_the_estimated_wait() -> None:
    router = Router([QueueSpec("q", wrapup=10)], [AgentSpec(a, queues=("q",)) for a in "ab"])
    _ready(router, "a", "b")
    for n, talk in enumerate((50, 110)):
        router.enqueue(f"c{n}", "q", 100 * n)
        router.step(100 * n)
        router.answered(f"c{n}", 100 * n)
        router.ended(f"c{n}", 100 * n + talk)
    assert router.handling_times("q") == [60, 120]  # talk + wrap-up
    assert router.serving("q") == 2
    # position 3, mean handling 90 s, two agents: 3 * 90 / 2
    assert estimated_wait(3, router.handling_times("q"), router.serving("q")) == 135
    assert estimated_wait(1, [], 0) == DEFAULT_HANDLING_SECONDS


def test_announcements_are_spoken_in_the_caller_s_language() -> None:
    said = announcement(2, [150.0], 1, "fi")
    assert said.estimated_seconds == 300
    assert [p.text for p in said.prompts()] == [
        "Olet jonossa sijalla 2. Arvioitu odotusaikasi on noin 5 minuuttia."
    ]
    assert announcement(1, [20.0], 2, "sv").prompts()[0].text == (
        "Du är nummer 1 i kön. Du får svar inom en minut."
    )
    assert announcement(1, [], 1, "de").prompts()[0].language == "en"
    for table in (POSITION, WAIT_MINUTES, WAIT_SHORT):
        assert set(table) == {"en", "fi", "sv", "uk"}


def test_a_callback_keeps_the_caller_s_place() -> None:
    router = Router([QueueSpec("q")], [AgentSpec("a", queues=("q",))])
    router.enqueue("one", "q", 1)
    router.enqueue("two", "q", 2)
    router.enqueue("three", "q", 3)
    router.replace("two", "callback-two")
    assert router.position("callback-two") == 2
    _ready(router, "a", at=4)
    served = []
    for now in (4, 40, 80):  # each after the previous call and its wrap-up
        (offer,) = _offers(router.step(now))
        served.append(offer[0])
        router.answered(offer[0], now)
        router.ended(offer[0], now + 1)
    assert served == ["one", "callback-two", "three"]


def test_ring_all_sets_only_refusing_phones_not_ready() -> None:
    router = Router(
        [QueueSpec("all", strategy=Strategy.RING_ALL)],
        [AgentSpec(a, queues=("all",)) for a in "ab"],
    )
    _ready(router, "a", "b")
    router.enqueue("call", "all", 2)
    router.step(2)
    router.no_answer("call", 3, refused=["b"])
    assert router.take_released() == [
        AgentChanged("b", AgentState.NOT_READY, "no_answer"),
        AgentChanged("a", AgentState.READY, ""),
    ]
    assert router.step(3) == [RingAll("call", ("a",), "all", 15)]
