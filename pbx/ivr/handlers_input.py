"""Nodes that ask the caller something: menu, language, collect, speech, survey, callback."""

from __future__ import annotations

import re

import phonenumbers

from .models import CallbackNode, CollectNode, LanguageNode, MenuNode, SpeechNode, SurveyNode
from .path import Outcome, OutcomeKind
from .prompts import Prompt, message
from .session import Retry, Session, Transition


async def run_menu(s: Session, node: MenuNode) -> Transition:
    choice = await s.choose(node.prompt, node.options, Retry.of(node))
    if choice.key is not None:
        return Transition(f"option {choice.key}", node.options[choice.key])
    branch = node.invalid if choice.failure == "invalid" else node.timeout
    return Transition(f"no valid choice, last try: {choice.failure}", branch or node.next)


async def run_language(s: Session, node: LanguageNode) -> Transition:
    choice = await s.choose(node.prompt, node.options, Retry.of(node))
    if choice.key is None:
        return Transition(f"no choice, language stays {s.language}", node.next)
    s.set_language(node.options[choice.key])
    return Transition(f"option {choice.key}: language {s.language}", node.next)


async def run_collect(s: Session, node: CollectNode) -> Transition:
    pattern = re.compile(node.pattern) if node.pattern else None

    def accept(keys: str) -> bool:
        return pattern is None or pattern.fullmatch(keys) is not None

    keys = await s.collect(
        node.prompt,
        accept,
        Retry.of(node),
        min_digits=node.min_digits,
        max_digits=node.max_digits,
        terminator=node.terminator,
    )
    if keys is None:
        return Transition("no valid input", node.invalid)
    s.variables[node.variable] = keys
    return Transition(f"{node.variable} = {keys}", node.next)


async def run_speech(s: Session, node: SpeechNode) -> Transition:
    matcher = s.services.speech
    if matcher is None:
        s.step.error = "no speech recognition service"
        return Transition("no match", node.nomatch)
    phrases = [phrase for choice in node.choices for phrase in choice.phrases]
    for attempt in range(node.retries + 1):
        await s.play(node.prompt, interruptible=False)
        audio = await s.port.listen(node.listen_seconds)
        heard = await matcher(audio, phrases, s.language) if audio else None
        for choice in node.choices:
            if heard is not None and heard in choice.phrases:
                s.step.said = heard
                return Transition(f"said '{heard}'", choice.goto)
        s.step.notes.append("silence" if not audio else "not understood")
        if attempt < node.retries:
            await s.play(node.nomatch_prompt or [message("invalid")], interruptible=False)
    return Transition("no match", node.nomatch)


async def run_survey(s: Session, node: SurveyNode) -> Transition:
    await s.play(node.prompt)
    answers: dict[str, int | None] = {}
    for question in node.questions:
        choice = await s.choose(question.prompt, "12345", Retry.of(node))
        answers[question.id] = int(choice.key) if choice.key else None
        s.variables[f"survey_{question.id}"] = choice.key or ""
    store = s.services.surveys
    if store is None:
        s.step.error = "no survey store; answers not saved"
    else:
        try:
            await store(s.call, node.survey, answers)
        except Exception as exc:
            s.step.error = f"survey not saved: {exc}"
    await s.play(node.done_prompt)
    given = ", ".join(f"{k}={'-' if v is None else v}" for k, v in answers.items())
    return Transition(f"answers {given}", node.next)


def _confirm_prompts(node: CallbackNode) -> list[Prompt]:
    if node.prompt:
        return node.prompt
    return [message("callback_at"), Prompt(digits="{callback_digits}"), message("callback_choose")]


def _set_number(s: Session, number: str) -> None:
    """`callback_number` as given; `callback_digits` as a caller would say it (national)."""
    s.variables["callback_number"] = number
    digits = number
    if number.startswith("+"):
        try:
            parsed = phonenumbers.parse(number)
            national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            digits = "".join(ch for ch in national if ch.isdigit())
        except phonenumbers.NumberParseException:
            pass
    s.variables["callback_digits"] = digits


async def run_callback(s: Session, node: CallbackNode) -> Transition:
    _set_number(s, s.render(node.number))
    failed = node.failed or node.next
    for _round in range(node.retries + 1):
        choice = await s.choose(_confirm_prompts(node), "12", Retry.of(node))
        if choice.key is None:
            return Transition("callback not confirmed", failed)
        if choice.key == "1" and s.variables["callback_number"]:
            return await _book(s, node)
        keys = await s.collect(
            node.number_prompt or [message("callback_number")],
            lambda _keys: True,
            Retry.of(node),
            min_digits=node.min_digits,
            max_digits=node.max_digits,
            terminator="#",
        )
        if keys is None:
            return Transition("no callback number given", failed)
        _set_number(s, keys)
    return Transition("callback not confirmed", failed)


async def _book(s: Session, node: CallbackNode) -> Transition:
    number = s.variables["callback_number"]
    store = s.services.callbacks
    if store is None:
        s.step.error = "no callback service"
        return Transition("callback not booked", node.failed or node.next)
    queue = s.render(node.queue) if node.queue else None
    try:
        await store(s.call, number, queue)
    except Exception as exc:
        s.step.error = f"callback not booked: {exc}"
        return Transition("callback not booked", node.failed or node.next)
    s.left = Outcome(OutcomeKind.CALLBACK, number)
    await s.play(node.done_prompt or [message("callback_done")], interruptible=False)
    return Transition(f"callback booked to {number}", node.next)
