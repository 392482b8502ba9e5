"""The runner, node by node, against scripted callers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pbx.ivr.memory import MemoryServices
from pbx.ivr.path import OutcomeKind
from pbx.ivr.port import CallContext, FlowServices
from pbx.ivr.runner import FlowRunner
from pbx.ivr.simulate import ScriptedPort

from .helpers import HangingUpPort, InterruptingPort, load_flowset, run_flow, write_files

NOON = datetime(2026, 12, 21, 12, 0, tzinfo=UTC)

MENU_AFTER_INTRO = """\
name: main
start: intro
nodes:
  intro:
    type: play
    prompt: {say: "Welcome."}
    next: menu
  menu:
    type: menu
    prompt: {say: "For billing, press 1. For sales, press 2."}
    options: {"1": billing, "2": sales}
    next: billing
  billing:
    type: queue
    queue: billing
  sales:
    type: queue
    queue: sales
    priority: "{vip}"
"""


def context(**kwargs: Any) -> CallContext:
    return CallContext(**{"call_id": "c1", "caller": "+358401234567", "dialled": "100", **kwargs})


async def test_key_pressed_during_a_prompt_answers_the_next_menu(tmp_path: Path) -> None:
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": MENU_AFTER_INTRO}))
    lines: list[str] = []
    port = InterruptingPort("2", [], NOON, lines.append)
    result = await FlowRunner(flowset, port, context(variables={"vip": "7"})).run("main")
    assert result.outcome.describe() == "queue sales (priority 7)"
    assert lines == ["[hear] (en) Welcome.", "[queue] sales priority 7"]
    assert result.path[0].outcome == "interrupted by key 2"


async def test_collect_retries_until_the_input_matches(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: postcode
    nodes:
      postcode:
        type: collect
        prompt: {say: "Postcode?"}
        variable: postcode
        min_digits: 5
        max_digits: 5
        pattern: "^00[0-9]{3}$"
        next: done
        invalid: failed
      done:
        type: hangup
        prompt: {say: "Got {postcode}."}
      failed:
        type: hangup
        prompt: {say: "Sorry."}
    """
    sim = await run_flow(tmp_path, flow, ["123", "99999", "00100"], at=NOON)
    assert sim.result.variables["postcode"] == "00100"
    assert sim.result.path[0].outcome == "invalid input 123; invalid input 99999; postcode = 00100"
    assert sim.heard[-1].text == "Got 00100."
    failed = await run_flow(tmp_path, flow, ["1", "2", "3"], at=NOON)
    assert failed.nodes == ["postcode", "failed"]


async def test_branch_on_caller_number(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: check
    nodes:
      check:
        type: branch
        conditions:
          - {var: caller, prefix: "+358", goto: finland}
        else: abroad
      finland:
        type: queue
        queue: domestic
      abroad:
        type: queue
        queue: international
    """
    home = await run_flow(tmp_path, flow, caller="+358401234567", at=NOON)
    away = await run_flow(tmp_path, flow, caller="+46701234567", at=NOON)
    assert home.result.outcome.target == "domestic"
    assert away.result.outcome.target == "international"


LOOKUP = """\
name: main
start: lookup
nodes:
  lookup:
    type: http_lookup
    url: https://crm.example/customers/{caller}
    outputs: {status: account.status, priority: account.priority}
    next: route
    fallback: general
  route:
    type: queue
    queue: "{status}"
    priority: "{priority}"
  general:
    type: queue
    queue: general
"""


async def test_http_lookup_sets_variables(tmp_path: Path) -> None:
    services = MemoryServices.with_log(
        print,
        http={"https://crm.example/customers/": {"account": {"status": "gold", "priority": 9}}},
    )
    sim = await run_flow(tmp_path, LOOKUP, services=services, at=NOON)
    assert sim.result.outcome.describe() == "queue gold (priority 9)"
    assert services.http.calls == [("GET", "https://crm.example/customers/%2B358401234567", {})]


async def test_http_lookup_falls_back_on_failure_or_missing_fields(tmp_path: Path) -> None:
    failing = await run_flow(tmp_path, LOOKUP, at=NOON)
    assert failing.result.outcome.target == "general"
    services = MemoryServices.with_log(
        print, http={"https://crm.example/": {"account": {"status": "gold"}}}
    )
    partial = await run_flow(tmp_path, LOOKUP, services=services, at=NOON)
    assert partial.result.outcome.target == "general"
    assert partial.result.path[0].error == "answer lacks account.priority"


async def test_goto_flow_keeps_language_and_variables(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "other.yaml": """\
    name: other
    language: en
    start: hello
    nodes:
      hello:
        type: hangup
        prompt: {say: {en: "Bye {who}", fi: "Hei hei {who}"}}
    """
        },
    )
    flow = """\
    name: main
    language: en
    start: remember
    nodes:
      remember:
        type: set
        variables: {who: Aino, language: fi}
        next: jump
      jump:
        type: goto_flow
        flow: other
    """
    sim = await run_flow(tmp_path, flow, at=NOON)
    assert [(s.flow, s.node) for s in sim.result.path] == [
        ("main", "remember"),
        ("main", "jump"),
        ("other", "hello"),
    ]
    assert sim.heard[-1].text == "Hei hei Aino"
    assert sim.result.outcome.kind is OutcomeKind.HANGUP


async def test_survey_stores_answers(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: survey
    nodes:
      survey:
        type: survey
        survey: after_call
        questions:
          - {id: solved, prompt: {say: "Was your issue solved? 1 to 5."}}
          - {id: friendly, prompt: {say: "How friendly were we? 1 to 5."}}
        retries: 1
        next: bye
      bye:
        type: hangup
    """
    services = MemoryServices()
    sim = await run_flow(tmp_path, flow, ["7", "4"], services=services, at=NOON)
    assert services.store.surveys == [("simulated", "after_call", {"solved": 4, "friendly": None})]
    assert sim.result.path[0].outcome.endswith("answers solved=4, friendly=-")


async def test_speech_matches_a_phrase_or_takes_nomatch(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: ask
    nodes:
      ask:
        type: speech
        prompt: {say: "Say billing or outage."}
        choices:
          - {phrases: [billing, laskutus], goto: billing}
          - {phrases: [outage, sähkökatko], goto: outage}
        retries: 1
        nomatch: general
      billing: {type: queue, queue: billing}
      outage: {type: queue, queue: outages}
      general: {type: queue, queue: general}
    """
    said = await run_flow(tmp_path, flow, speech=["um", "there is a sähkökatko here"], at=NOON)
    assert said.result.outcome.target == "outages"
    assert said.result.path[0].said == "sähkökatko"
    silent = await run_flow(tmp_path, flow, at=NOON)
    assert silent.result.outcome.target == "general"


class FailingTransferPort(ScriptedPort):
    async def transfer(self, target: str) -> bool:
        return False


async def test_transfer_and_failed_transfer(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: operator
    nodes:
      operator:
        type: transfer
        target: "+358912345678"
        next: sorry
      sorry:
        type: hangup
        prompt: {say: "The operator cannot be reached."}
    """
    sim = await run_flow(tmp_path, flow, at=NOON)
    assert sim.result.outcome.describe() == "transfer +358912345678"
    flowset = load_flowset(tmp_path)
    port = FailingTransferPort([], NOON, print)
    result = await FlowRunner(flowset, port, context()).run("main")
    assert [s.node for s in result.path] == ["operator", "sorry"]
    assert result.path[0].error == "transfer to +358912345678 failed"
    assert port.hung_up


async def test_caller_hanging_up_ends_the_run(tmp_path: Path) -> None:
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": MENU_AFTER_INTRO}))
    port = HangingUpPort(1, [], NOON, print)
    result = await FlowRunner(flowset, port, context()).run("main")
    assert result.outcome.kind is OutcomeKind.CALLER_HANGUP
    assert [(s.node, s.outcome) for s in result.path] == [
        ("intro", "played"),
        ("menu", "caller hung up"),
    ]
    assert not port.hung_up


async def test_hanging_up_after_a_voicemail_counts_as_voicemail(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: message
    nodes:
      message:
        type: voicemail
        mailbox: sales
        next: thanks
      thanks:
        type: hangup
        prompt: {say: "Thank you."}
    """
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": flow}))
    services = MemoryServices()
    port = HangingUpPort(0, [], NOON, print)
    result = await FlowRunner(flowset, port, context(), services.services()).run("main")
    assert result.outcome.describe() == "voicemail (mailbox sales)"
    assert len(services.store.messages) == 1


async def test_runaway_flow_is_stopped_and_hung_up(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: again
    nodes:
      again:
        type: play
        prompt: {say: "Still here."}
        next: check
      check:
        type: branch
        conditions:
          - {var: done, equals: "yes", goto: bye}
        else: again
      bye:
        type: hangup
    """
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": flow}))
    port = ScriptedPort([], NOON, lambda line: None)
    result = await FlowRunner(flowset, port, context(), max_steps=20).run("main")
    assert result.outcome.kind is OutcomeKind.ERROR
    assert result.outcome.detail == "flow ran more than 20 steps without ending"
    assert len(result.path) == 21
    assert result.path[-1].type == "guard"
    assert port.hung_up


async def test_callback_with_another_number(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: offer
    nodes:
      offer:
        type: callback
        queue: billing
        next: bye
      bye:
        type: hangup
    """
    services = MemoryServices()
    sim = await run_flow(tmp_path, flow, ["2", "0501234567#", "1"], services=services, at=NOON)
    assert services.store.callbacks == [("simulated", "0501234567", "billing")]
    assert sim.result.outcome.describe() == "callback to 0501234567"
    read_back = [p.text for p in sim.heard if p.kind == "digits"]
    assert read_back == ["0401234567", "0501234567"]


async def test_ticket_number_is_read_back(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: create
    nodes:
      create:
        type: ticket
        action: create
        category: STREET
        fields: {postcode: "{postcode}"}
        variable: request_number
        next: tell
      tell:
        type: hangup
        prompt: [{say: "Your number is"}, {digits: "{request_number}"}]
    """
    services = MemoryServices()
    sim = await run_flow(
        tmp_path, flow, services=services, variables={"postcode": "00100"}, at=NOON
    )
    assert sim.heard[-1].kind == "digits"
    assert sim.heard[-1].text == "100001"
    assert services.tickets.tickets["100001"]["fields"] == {"postcode": "00100"}


async def test_missing_service_takes_the_failure_branch(tmp_path: Path) -> None:
    flow = """\
    name: main
    start: tag
    nodes:
      tag:
        type: ticket
        category: BILLING
        next: queue
        failed: queue
      queue:
        type: queue
        queue: billing
    """
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": flow}))
    port = ScriptedPort([], NOON, print)
    result = await FlowRunner(flowset, port, context(), FlowServices()).run("main")
    assert result.path[0].error == "no ticket service"
    assert result.outcome.target == "billing"


async def test_unknown_flow_or_route_is_an_error(tmp_path: Path) -> None:
    flowset = load_flowset(write_files(tmp_path, {"main.yaml": MENU_AFTER_INTRO}))
    port = ScriptedPort([], NOON, print)
    result = await FlowRunner(flowset, port, context(dialled="999")).run()
    assert result.outcome.kind is OutcomeKind.ERROR
    assert "no route for '999'" in result.outcome.detail


async def test_path_is_json_ready(tmp_path: Path) -> None:
    sim = await run_flow(tmp_path, MENU_AFTER_INTRO, ["1"], at=NOON)
    data: Mapping[str, Any] = sim.result.to_dict()
    text = json.dumps(data)
    steps: Sequence[Mapping[str, Any]] = json.loads(text)["path"]
    assert [s["node"] for s in steps] == ["intro", "menu", "billing"]
    assert steps[1]["digits"] == "1"
    assert steps[1]["heard"][0] == {
        "kind": "tts",
        "language": "en",
        "text": "For billing, press 1. For sales, press 2.",
    }
    assert steps[0]["at"] == "2026-12-21T12:00:00+00:00"
