"""Prompts: what a flow file says a caller hears, and its resolution for one call's language."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from .fields import Language, Template, Text, render

PromptKind = Literal["sound", "file", "tts", "digits", "number"]


class Prompt(BaseModel):
    """Exactly one of `sound`, `file`, `say`, `digits`, `number`."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    sound: Text | None = None
    """An Asterisk sound name, e.g. `vm-goodbye`."""
    file: Text | None = None
    """An uploaded file name from the uploads directory."""
    say: Text | None = None
    """Text spoken by text-to-speech in the call's language."""
    digits: Template | None = None
    """Read back digit by digit, e.g. `{request_number}`."""
    number: Template | None = None
    """Read back as a number, e.g. `{outage_count}`."""
    language: Language | None = None
    """Always use this language for this prompt (e.g. in a language choice menu)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Prompt:
        kinds = ("sound", "file", "say", "digits", "number")
        given = [name for name in kinds if getattr(self, name)]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"a prompt needs exactly one of sound, file, say, digits, number (found {found})"
            )
        return self


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError('write a prompt as {say: "..."}, {sound: name} or a list of them')
    return [value] if isinstance(value, Mapping) else value


Prompts = Annotated[
    list[Prompt],
    BeforeValidator(_as_list, json_schema_input_type=Prompt | list[Prompt]),
]
"""One prompt or a list of prompts played one after the other."""


@dataclass(frozen=True)
class ResolvedPrompt:
    """One thing to play. `text` is the sound name, file name, TTS text, digits or number."""

    kind: PromptKind
    text: str
    language: str

    def describe(self) -> str:
        if self.kind == "tts":
            return f"({self.language}) {self.text}"
        if self.kind == "digits":
            return f"({self.language}) digits {' '.join(self.text)}"
        if self.kind == "number":
            return f"({self.language}) number {self.text}"
        return f"({self.language}) {self.kind}:{self.text}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "language": self.language}


def pick_variant(text: str | Mapping[str, str], language: str, default: str) -> tuple[str, str]:
    """The variant for `language`, else the flow's default, else the first one given."""
    if isinstance(text, str):
        return text, language
    for candidate in (language, default):
        if candidate in text:
            return text[candidate], candidate
    first = next(iter(text))
    return text[first], first


def resolve_prompt(
    prompt: Prompt, language: str, default: str, variables: Mapping[str, str]
) -> ResolvedPrompt | None:
    """Resolve one prompt; None when a read-back variable is empty (nothing to say)."""
    wanted = prompt.language or language
    if prompt.digits is not None or prompt.number is not None:
        kind: PromptKind = "digits" if prompt.digits is not None else "number"
        value = render(prompt.digits or prompt.number or "", variables).strip()
        value = re.sub(r"[^0-9*#]", "", value) if kind == "digits" else value
        return ResolvedPrompt(kind, value, wanted) if value else None
    if prompt.say is not None:
        text, lang = pick_variant(prompt.say, wanted, default)
        return ResolvedPrompt("tts", render(text, variables), lang)
    kind = "sound" if prompt.sound is not None else "file"
    name, lang = pick_variant(prompt.sound or prompt.file or "", wanted, default)
    return ResolvedPrompt(kind, render(name, variables), lang)


def resolve_prompts(
    prompts: Sequence[Prompt], language: str, default: str, variables: Mapping[str, str]
) -> list[ResolvedPrompt]:
    resolved = (resolve_prompt(p, language, default, variables) for p in prompts)
    return [r for r in resolved if r is not None]


# Built-in texts used when a node leaves the optional prompt out.
MESSAGES: dict[str, dict[str, str]] = {
    "invalid": {
        "en": "Sorry, that is not a valid choice.",
        "fi": "Valitettavasti valintaa ei tunnistettu.",
        "sv": "Tyvärr är det inte ett giltigt val.",
        "uk": "На жаль, такого варіанта немає.",
    },
    "timeout": {
        "en": "Sorry, we did not receive your choice.",
        "fi": "Valitettavasti emme saaneet valintaasi.",
        "sv": "Tyvärr fick vi inte ditt val.",
        "uk": "На жаль, ми не отримали вашого вибору.",
    },
    "callback_at": {
        "en": "We will call you back at the number",
        "fi": "Soitamme sinulle takaisin numeroon",
        "sv": "Vi ringer upp dig på numret",
        "uk": "Ми передзвонимо вам на номер",
    },
    "callback_choose": {
        "en": "To confirm, press 1. To give another number, press 2.",
        "fi": "Vahvista painamalla 1. Jos haluat antaa toisen numeron, paina 2.",
        "sv": "Tryck 1 för att bekräfta. Tryck 2 för att ange ett annat nummer.",
        "uk": "Щоб підтвердити, натисніть 1. Щоб вказати інший номер, натисніть 2.",
    },
    "callback_number": {
        "en": "Please enter your phone number and finish with the hash key.",
        "fi": "Näppäile puhelinnumerosi ja lopeta risuaidalla.",
        "sv": "Slå ditt telefonnummer och avsluta med fyrkant.",
        "uk": "Введіть свій номер телефону і натисніть решітку.",
    },
    "callback_done": {
        "en": "Thank you. We will call you back as soon as possible.",
        "fi": "Kiitos. Soitamme sinulle takaisin mahdollisimman pian.",
        "sv": "Tack. Vi ringer upp dig så snart som möjligt.",
        "uk": "Дякуємо. Ми передзвонимо вам якнайшвидше.",
    },
    "outages_none": {
        "en": "There are no known outages or planned works in your area at the moment.",
        "fi": "Alueellasi ei ole tällä hetkellä tiedossa olevia häiriöitä tai suunniteltuja töitä.",
        "sv": "Det finns för närvarande inga kända avbrott eller planerade arbeten i ditt område.",
        "uk": "Наразі у вашому районі немає відомих відключень чи запланованих робіт.",
    },
    "outages_found": {
        "en": "Known outages and planned works in your area:",
        "fi": "Alueesi tiedossa olevat häiriöt ja suunnitellut työt:",
        "sv": "Kända avbrott och planerade arbeten i ditt område:",
        "uk": "Відомі відключення та заплановані роботи у вашому районі:",
    },
}


def message(key: str) -> Prompt:
    """A built-in message as a prompt, in every supported language."""
    return Prompt(say=MESSAGES[key])
