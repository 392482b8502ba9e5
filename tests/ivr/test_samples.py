"""The sample flows, simulated through the paths callers take."""

from __future__ import annotations

from datetime import datetime

import pytest

from pbx.ivr.memory import MemoryServices
from pbx.ivr.path import OutcomeKind
from pbx.ivr.port import Outage
from pbx.ivr.registry import FlowSet
from pbx.ivr.simulate import Simulation, simulate

from .helpers import FLOWS_DIR, load_flowset

TUESDAY_MORNING = datetime(2026, 12, 22, 10, 0)  # Europe/Helsinki, open
CHRISTMAS_EVE_EVENING = datetime(2026, 12, 24, 20, 0)
MONDAY_EVENING = datetime(2026, 12, 21, 18, 30)


@pytest.fixture(scope="module")
def flowset() -> FlowSet:
    return load_flowset(FLOWS_DIR)


async def call(flowset: FlowSet, target: str, keys: list[str], **kwargs: object) -> Simulation:
    kwargs.setdefault("at", TUESDAY_MORNING)
    return await simulate(flowset, target, keys=keys, **kwargs)  # type: ignore[arg-type]


def test_routes(flowset: FlowSet) -> None:
    assert flowset.routes.resolve("0800123456") == "utility_main"
    assert flowset.routes.resolve("+358800123456") == "utility_main"
    assert flowset.routes.resolve("123") == "city_services"
    assert flowset.routes.resolve("0912345678") == "utility_main"


@pytest.mark.parametrize(
    ("keys", "queue", "category"),
    [
        (["1", "1"], "billing", "BILLING"),
        (["1", "3"], "moving", "MOVING"),
        (["1", "0"], "general", "GENERAL"),
        (["1", "2", "00100", "1"], "outages", "OUTAGE"),
    ],
)
async def test_each_menu_choice_tags_the_ticket_and_queues(
    flowset: FlowSet, keys: list[str], queue: str, category: str
) -> None:
    services = MemoryServices()
    sim = await call(flowset, "0800123456", keys, services=services)
    assert sim.result.outcome.kind is OutcomeKind.QUEUE
    assert sim.result.outcome.target == queue
    assert sim.result.outcome.priority == 5
    [ticket] = services.tickets.tickets.values()
    assert ticket["categories"] == [category]


async def test_printed_outcome_for_billing(flowset: FlowSet) -> None:
    sim = await call(flowset, "0800123456", ["3", "1"])
    assert sim.lines[-1] == "-> queue billing (priority 5) with skills billing, lang_en"


async def test_known_customer_gets_crm_priority(flowset: FlowSet) -> None:
    services = MemoryServices.with_log(
        print, http={"https://crm.revontuli.example/": {"customer": {"id": "C-42", "priority": 9}}}
    )
    sim = await call(flowset, "0800123456", ["1", "1"], services=services)
    assert sim.result.outcome.priority == 9
    assert sim.result.variables["customer_id"] == "C-42"


async def test_christmas_eve_evening_goes_to_voicemail(flowset: FlowSet) -> None:
    services = MemoryServices()
    sim = await call(flowset, "0800123456", ["1"], at=CHRISTMAS_EVE_EVENING, services=services)
    assert sim.result.outcome.describe() == "voicemail (mailbox customer-service)"
    assert sim.lines[-1] == "-> voicemail (mailbox customer-service)"
    assert "holiday_message" in sim.nodes
    assert any("juhlapyhän vuoksi" in p.text for p in sim.heard)
    assert len(services.store.messages) == 1


async def test_weekday_evening_is_closed_not_holiday(flowset: FlowSet) -> None:
    sim = await call(flowset, "0800123456", ["3"], at=MONDAY_EVENING)
    assert "closed_message" in sim.nodes
    assert sim.heard[-2].text.startswith("Our customer service is open on weekdays")
    assert sim.result.outcome.kind is OutcomeKind.VOICEMAIL


async def test_invalid_key_is_retried_then_silence_takes_the_timeout_branch(
    flowset: FlowSet,
) -> None:
    sim = await call(flowset, "0800123456", ["3", "9"])
    menu = next(step for step in sim.result.path if step.node == "main_menu")
    assert menu.outcome == "invalid key 9; no key; no key; no valid choice, last try: timeout"
    assert menu.next == "no_choice"
    texts = [p.text for p in menu.heard]
    assert texts.count("Sorry, that is not a valid choice.") == 1
    assert texts.count("Sorry, we did not receive your choice.") == 1
    assert sim.result.outcome.target == "general"


async def test_invalid_keys_until_the_end_take_the_invalid_branch(flowset: FlowSet) -> None:
    sim = await call(flowset, "0800123456", ["3", "9", "8", "7"])
    assert "no_choice" not in sim.nodes
    assert sim.result.outcome.target == "general"


@pytest.mark.parametrize(
    ("key", "language", "menu_start"),
    [
        ("1", "fi", "Laskutukseen liittyvissä asioissa paina 1."),
        ("2", "sv", "För frågor om fakturering, tryck 1."),
        ("3", "en", "For billing, press 1."),
        ("4", "uk", "З питань рахунків натисніть 1."),
    ],
)
async def test_language_choice_changes_later_prompts(
    flowset: FlowSet, key: str, language: str, menu_start: str
) -> None:
    sim = await call(flowset, "0800123456", [key, "1"])
    after_choice = sim.nodes.index("choose_language") + 1
    later = [p for step in sim.result.path[after_choice:] for p in step.heard]
    assert later[0].text.startswith(menu_start)
    assert {p.language for p in later} == {language}
    assert sim.result.language == language
    assert f"lang_{language}" in sim.result.outcome.skills


async def test_no_language_choice_keeps_finnish(flowset: FlowSet) -> None:
    sim = await call(flowset, "0800123456", [])
    assert sim.result.language == "fi"
    assert sim.heard[0].text == "Tervetuloa Revontuli Energian asiakaspalveluun."


async def test_outages_are_announced_for_the_postcode(flowset: FlowSet) -> None:
    outage = Outage(
        "outage",
        {
            "fi": "Sähkökatko Kalliossa, korjaus arviolta kello 18.",
            "en": "Power cut in Kallio, repair expected by 6 pm.",
        },
    )
    services = MemoryServices.with_log(print, outages={"00530": [outage]})
    sim = await call(flowset, "0800123456", ["3", "2", "00530", "2"], services=services)
    texts = [p.text for p in sim.heard]
    assert "Power cut in Kallio, repair expected by 6 pm." in texts
    assert sim.result.variables["postcode"] == "00530"
    assert sim.result.outcome.kind is OutcomeKind.HANGUP
    quiet = await call(flowset, "0800123456", ["1", "2", "00100", "2"])
    assert (
        "Alueellasi ei ole tällä hetkellä tiedossa olevia häiriöitä tai suunniteltuja töitä."
    ) in [p.text for p in quiet.heard]


async def test_full_queue_offers_a_callback(flowset: FlowSet) -> None:
    services = MemoryServices()
    sim = await call(
        flowset, "0800123456", ["3", "1", "1"], services=services, overflow={"billing"}
    )
    assert sim.result.outcome.describe() == "callback to +358401234567"
    assert services.store.callbacks == [("simulated", "+358401234567", "general")]


async def test_city_request_is_registered_and_its_number_read_back(flowset: FlowSet) -> None:
    services = MemoryServices()
    sim = await call(flowset, "123", ["3", "1", "2", "00530"], services=services)
    [ticket] = services.tickets.tickets.values()
    assert ticket["categories"] == ["WASTE"]
    assert ticket["fields"]["postcode"] == "00530"
    assert ticket["fields"]["description_message"] == "vm-1"
    numbers = [p.text for p in sim.heard if p.kind == "digits"]
    assert numbers == ["100001", "100001"]
    assert sim.heard[-1].text == "Thank you for calling. Goodbye."


async def test_city_request_status_lookup(flowset: FlowSet) -> None:
    services = MemoryServices.with_log(
        print, http={"https://palvelut.kaupunki.example/api/requests/": {"status": "in_progress"}}
    )
    sim = await call(flowset, "123", ["2", "2", "123456#"], services=services)
    assert "Din begäran behandlas just nu." in [p.text for p in sim.heard]
    assert services.http.calls[0][1] == "https://palvelut.kaupunki.example/api/requests/123456"


async def test_city_request_status_unknown_goes_to_an_adviser(flowset: FlowSet) -> None:
    sim = await call(flowset, "city_services", ["4", "2", "9876#"])
    assert [p.text for p in sim.heard if p.kind == "digits"] == ["9876"]
    assert sim.result.outcome.describe() == "queue city-services (priority 3) with skills lang_uk"
