"""How well an article or FAQ entry answers a visitor's question, for the chatbot.

Full text finds candidates sharing any word; each is scored by the share of the
question's meaningful words (stop words dropped) found in it, a word matching when a
word of the text starts with its stem (so "paying" finds "pay", "laskun" finds
"lasku"). Title and FAQ question words count more than body words. A candidate answers
when its score reaches ``GOOD_ENOUGH``."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.models import KbArticle, KbFaq
from knowledge.search import query_words, words_of

GOOD_ENOUGH = 0.6
STOP_WORDS = {
    "en": "a an and are can could do does for from have how i in is it me my of on or the "
    "there this to was what when where which who why will with would you your please hi hello",
    "fi": "ja on ei ole se kun mitä miten mikä missä miksi voi voinko voiko minä minun "
    "mun sinun te teidän kuinka onko oli että tai jos hei moi kiitos",
    "sv": "och är att det en ett i på för med hur vad var när varför kan jag min mitt mina "
    "du ni er har till av om hej tack",
    "uk": "і й та в у на з до як що де коли чому чи я мій моя моє мої ви ваш це є не "
    "можна будь ласка привіт дякую",
}


@dataclass(frozen=True)
class Match:
    score: float
    article: KbArticle | None = None
    faq: KbFaq | None = None


def meaningful_words(question: str, language: str) -> list[str]:
    stop = set(STOP_WORDS.get(language, "").split())
    return [w for w in query_words(question) if w not in stop and len(w) > 1]


def stem(word: str) -> str:
    """A crude stem: long words lose their last letters (inflection in fi/sv/uk/en)."""
    return word[: max(4, len(word) - 3)] if len(word) > 5 else word


def best_match(
    question: str, language: str, articles: list[KbArticle], faqs: list[KbFaq]
) -> Match | None:
    """The best-scoring candidate, or None when nothing reaches ``GOOD_ENOUGH``."""
    words = meaningful_words(question, language)
    if not words:
        return None
    scored = [Match(_score(words, f.questions_text, f.answer), faq=f) for f in faqs]
    scored += [Match(_score(words, a.title, a.plain), article=a) for a in articles]
    best = max(scored, key=lambda m: m.score, default=None)
    return best if best is not None and best.score >= GOOD_ENOUGH else None


def _score(words: list[str], heading: str, body: str) -> float:
    heading_words = set(words_of(heading))
    body_words = set(words_of(body)) - heading_words
    total = 0.0
    for word in words:
        root = stem(word)
        if any(h.startswith(root) for h in heading_words):
            total += 1.0
        elif any(b.startswith(root) for b in body_words):
            total += 0.75
    return total / len(words)
