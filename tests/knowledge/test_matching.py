"""How the chatbot decides that an article answers a question (pure: no database)."""

from __future__ import annotations

from knowledge.matching import GOOD_ENOUGH, best_match, meaningful_words
from knowledge.models import KbArticle, KbFaq


def article(title: str, plain: str, language: str) -> KbArticle:
    return KbArticle(id=1, title=title, body=plain, plain=plain, language=language)


def test_stop_words_do_not_count_and_inflected_words_match() -> None:
    assert meaningful_words("How can I pay my water bill?", "en") == ["pay", "water", "bill"]
    swedish = article("Betala vattenräkningen", "Du kan betala med e-faktura.", "sv")
    found = best_match("Hur betalar jag vattenräkningen?", "sv", [swedish], [])
    assert found is not None and found.article is swedish and found.score >= GOOD_ENOUGH
    ukrainian = article("Оплата рахунку за воду", "Сплатіть рахунок банківським переказом.", "uk")
    found = best_match("Як оплатити рахунок за воду?", "uk", [ukrainian], [])
    assert found is not None and found.article is ukrainian


def test_a_weak_match_is_no_answer_and_the_best_candidate_wins() -> None:
    leak = article("Reporting a leak", "Call us when water leaks in the street.", "en")
    assert best_match("Do you sell garden gnomes by the water?", "en", [leak], []) is None
    assert best_match("how do I?", "en", [leak], []) is None  # nothing meaningful asked
    faq = KbFaq(id=2, questions=["Where is a leak reported?"], questions_text="Where is a leak "
                "reported?", answer="Call 0800 123.", language="en")  # fmt: skip
    found = best_match("Where do I report a water leak?", "en", [leak], [faq])
    assert found is not None and found.score >= GOOD_ENOUGH
