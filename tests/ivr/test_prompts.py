"""Prompt resolution for the call's language."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pbx.ivr.prompts import Prompt, ResolvedPrompt, resolve_prompt

HELLO = Prompt(say={"en": "Hello {name}", "fi": "Hei {name}"})


def test_current_language_then_default_then_any() -> None:
    assert resolve_prompt(HELLO, "fi", "en", {"name": "Aino"}) == ResolvedPrompt(
        "tts", "Hei Aino", "fi"
    )
    assert resolve_prompt(HELLO, "sv", "en", {"name": "Aino"}) == ResolvedPrompt(
        "tts", "Hello Aino", "en"
    )
    only_uk = Prompt(say={"uk": "Привіт"})
    assert resolve_prompt(only_uk, "fi", "en", {}) == ResolvedPrompt("tts", "Привіт", "uk")


def test_plain_text_is_spoken_in_the_call_language() -> None:
    assert resolve_prompt(Prompt(say="Hei"), "fi", "en", {}).language == "fi"  # type: ignore[union-attr]


def test_fixed_language_overrides_the_call_language() -> None:
    prompt = Prompt(say="På svenska, tryck 2.", language="sv")
    assert resolve_prompt(prompt, "fi", "fi", {}) == ResolvedPrompt(
        "tts", "På svenska, tryck 2.", "sv"
    )


def test_digits_read_back_keeps_only_keys() -> None:
    prompt = Prompt(digits="{number}")
    assert resolve_prompt(prompt, "en", "en", {"number": "+358 40-123"}) == ResolvedPrompt(
        "digits", "35840123", "en"
    )
    assert resolve_prompt(prompt, "en", "en", {}) is None


def test_sounds_and_files_pick_their_language_variant() -> None:
    prompt = Prompt(sound={"en": "welcome", "fi": "tervetuloa"})
    assert resolve_prompt(prompt, "fi", "en", {}) == ResolvedPrompt("sound", "tervetuloa", "fi")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"say": "a", "sound": "b"},
        {"say": {"de": "Hallo"}},
        {"say": "Hello {name"},
    ],
)
def test_invalid_prompts(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Prompt.model_validate(data)
