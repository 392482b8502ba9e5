"""What a waiting caller is told: their place in line and an estimated wait, in their
language (en, fi, sv, uk), spoken by the same text-to-speech as the IVR's ``say:`` prompts.

Pure: the numbers come from the routing engine, the audio from ``PromptMedia``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pbx.ivr.prompts import ResolvedPrompt

DEFAULT_HANDLING_SECONDS = 180.0  # until a queue has handled a call: a guess, not a promise
LANGUAGES = ("en", "fi", "sv", "uk")

POSITION: dict[str, str] = {
    "en": "You are number {position} in the queue.",
    "fi": "Olet jonossa sijalla {position}.",
    "sv": "Du är nummer {position} i kön.",
    "uk": "Ви {position}-й у черзі.",
}
WAIT_MINUTES: dict[str, str] = {
    "en": "Your estimated waiting time is about {minutes} minutes.",
    "fi": "Arvioitu odotusaikasi on noin {minutes} minuuttia.",
    "sv": "Din beräknade väntetid är ungefär {minutes} minuter.",
    "uk": "Орієнтовний час очікування близько {minutes} хвилин.",
}
WAIT_SHORT: dict[str, str] = {
    "en": "You will be answered in less than a minute.",
    "fi": "Vastaamme alle minuutissa.",
    "sv": "Du får svar inom en minut.",
    "uk": "Вам дадуть відповідь менш ніж за хвилину.",
}

CALLBACK_OFFER: dict[str, str] = {
    "en": "To be called back without losing your place, press {key}.",
    "fi": "Jos haluat, että soitamme sinulle takaisin jonopaikkasi säilyttäen, paina {key}.",
    "sv": "Tryck {key} om du vill bli uppringd utan att förlora din plats i kön.",
    "uk": "Щоб ми передзвонили вам без втрати місця в черзі, натисніть {key}.",
}


@dataclass(frozen=True)
class Announcement:
    position: int
    estimated_seconds: float
    language: str
    callback_key: str | None = None

    @property
    def minutes(self) -> int:
        return math.ceil(self.estimated_seconds / 60)

    def prompts(self) -> list[ResolvedPrompt]:
        lang = self.language if self.language in LANGUAGES else "en"
        wait = (
            WAIT_SHORT[lang]
            if self.estimated_seconds < 60
            else WAIT_MINUTES[lang].format(minutes=self.minutes)
        )
        text = f"{POSITION[lang].format(position=self.position)} {wait}"
        if self.callback_key:
            text += " " + CALLBACK_OFFER[lang].format(key=self.callback_key)
        return [ResolvedPrompt("tts", text, lang)]


def estimated_wait(position: int, handling_times: Sequence[float], agents: int) -> float:
    """Seconds until the caller at ``position`` (1-based) is likely answered.

    ``estimate = position * AHT / max(1, agents)``, where AHT is the mean of the queue's
    recent handling times (answer to hang-up plus wrap-up; the routing engine keeps the
    last ``HANDLED_WINDOW``), or ``DEFAULT_HANDLING_SECONDS`` before any call was handled,
    and ``agents`` the agents logged in to the queue. Each agent frees up once per AHT,
    so the callers ahead (and the caller) are served at ``agents / AHT`` per second.
    """
    if position <= 0:
        return 0.0
    aht = sum(handling_times) / len(handling_times) if handling_times else None
    return position * (aht or DEFAULT_HANDLING_SECONDS) / max(1, agents)


def announcement(
    position: int,
    handling_times: Sequence[float],
    agents: int,
    language: str,
    callback_key: str | None = None,
) -> Announcement:
    estimate = round(estimated_wait(position, handling_times, agents), 1)
    return Announcement(position, estimate, language, callback_key)
