"""Nodes that act without asking the caller a question: play, set, branch, hours, lookups,
tickets, outages, and the ways out of a flow (queue, voicemail, transfer, goto, hangup)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .fields import render
from .logic import condition_holds, hours_state
from .models import (
    BranchNode,
    GotoFlowNode,
    HangupNode,
    HoursNode,
    HttpLookupNode,
    OutagesNode,
    PlayNode,
    QueueNode,
    SetNode,
    TicketNode,
    TransferNode,
    VoicemailNode,
)
from .path import Outcome, OutcomeKind
from .port import QueueResult
from .prompts import ResolvedPrompt, message, pick_variant
from .session import Session, Transition


async def run_play(s: Session, node: PlayNode) -> Transition:
    key = await s.play(node.prompt, interruptible=node.interruptible)
    if key:
        s.typeahead = key
        return Transition(f"interrupted by key {key}", node.next)
    return Transition("played", node.next)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def run_set(s: Session, node: SetNode) -> Transition:
    done = []
    for name, value in node.variables.items():
        text = s.render(value) if isinstance(value, str) else _text(value)
        if name == "language":
            s.set_language(text)
            text = s.language
        else:
            s.variables[name] = text
        done.append(f"{name}={text}")
    return Transition("set " + ", ".join(done), node.next)


async def run_branch(s: Session, node: BranchNode) -> Transition:
    env = s.env()
    for index, condition in enumerate(node.conditions, start=1):
        if condition_holds(condition, env):
            shown = env.get(condition.var, "")
            return Transition(f"condition {index} ({condition.var}={shown!r})", condition.goto)
    return Transition("else", node.else_)


async def run_hours(s: Session, node: HoursNode) -> Transition:
    state = hours_state(node, s.port.now(), s.flow.timezone)
    target = {"open": node.open, "closed": node.closed, "holiday": node.holiday or node.closed}[
        state
    ]
    return Transition(state, target)


def _field(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif (
            isinstance(data, Sequence)
            and not isinstance(data, str)
            and part.isdigit()
            and int(part) < len(data)
        ):
            data = data[int(part)]
        else:
            return None
    return data


async def run_http_lookup(s: Session, node: HttpLookupNode) -> Transition:
    lookup = s.services.http_lookup
    if lookup is None:
        s.step.error = "no http lookup service"
        return Transition("lookup unavailable", node.fallback)
    env = s.env()
    url = render(node.url, {name: quote(value, safe="") for name, value in env.items()})
    params = {name: render(value, env) for name, value in node.inputs.items()}
    try:
        answer = await asyncio.wait_for(
            lookup(node.method, url, params, node.timeout_seconds), node.timeout_seconds
        )
    except TimeoutError:
        s.step.error = f"{node.method} {url} timed out"
        return Transition("lookup timed out", node.fallback)
    except Exception as exc:
        s.step.error = f"{node.method} {url} failed: {exc}"
        return Transition("lookup failed", node.fallback)
    missing = []
    for variable, dotted in node.outputs.items():
        value = _field(answer, dotted)
        if value is None or isinstance(value, Mapping | list):
            missing.append(dotted)
        else:
            s.variables[variable] = _text(value)
    if missing:
        s.step.error = f"answer lacks {', '.join(missing)}"
        return Transition("lookup incomplete", node.fallback)
    found = ", ".join(f"{v}={s.variables[v]}" for v in node.outputs)
    return Transition(f"looked up {found}" if found else "looked up", node.next)


async def run_ticket(s: Session, node: TicketNode) -> Transition:
    service = s.services.tickets
    failed = node.failed or node.next
    category = s.render(node.category)
    if service is None:
        s.step.error = "no ticket service"
        return Transition(f"ticket not {node.action}d", failed)
    fields = {name: s.render(value) for name, value in node.fields.items()}
    try:
        number = await service(s.call, node.action, category, fields)
    except Exception as exc:
        s.step.error = f"ticket service failed: {exc}"
        return Transition(f"ticket not {node.action}d", failed)
    if node.variable and number:
        s.variables[node.variable] = number
    verb = "created ticket" if node.action == "create" else "tagged ticket"
    return Transition(f"{verb} {number or ''} category {category}".replace("  ", " "), node.next)


async def run_outages(s: Session, node: OutagesNode) -> Transition:
    service = s.services.outages
    area = s.render(node.area)
    if service is None:
        s.step.error = "no outage service"
        return Transition("outages unavailable", node.fallback or node.next)
    try:
        outages = list(await service(area))
    except Exception as exc:
        s.step.error = f"outage service failed: {exc}"
        return Transition("outages unavailable", node.fallback or node.next)
    s.variables["outage_count"] = str(len(outages))
    if not outages:
        await s.play(node.none_prompt or [message("outages_none")])
        return Transition(f"no outages at {area}", node.next)
    announcements = []
    for outage in outages:
        text, language = pick_variant(outage.message, s.language, s.flow.language)
        announcements.append(ResolvedPrompt("tts", text, language))
    await s.play(node.prompt or [message("outages_found")], interruptible=False)
    await s.play_resolved(announcements, interruptible=False)
    return Transition(f"{len(outages)} outage(s) at {area}", node.found or node.next)


async def run_queue(s: Session, node: QueueNode) -> Transition:
    queue = s.render(node.queue)
    skills = tuple(skill for skill in (s.render(x) for x in node.skills) if skill)
    if isinstance(node.priority, int):
        priority = node.priority
    else:
        text = s.render(node.priority)
        try:
            priority = int(text)
        except ValueError:
            priority = 0
            s.step.error = f"priority {text!r} is not a number; using 0"
    result = await s.port.enqueue(queue, skills, priority)
    if result is QueueResult.CONNECTED:
        end = Outcome(OutcomeKind.QUEUE, queue, priority, skills)
        return Transition(f"queue {queue} (priority {priority})", end=end)
    if node.next:
        return Transition(f"queue {queue} overflowed", node.next)
    return Transition(f"queue {queue} overflowed", end=s.ended())


async def run_voicemail(s: Session, node: VoicemailNode) -> Transition:
    mailbox = s.render(node.mailbox)
    await s.play(node.prompt, interruptible=False)
    recording = await s.port.record(node.max_seconds, node.silence_seconds, node.beep)
    if recording is None:
        outcome = "no message recorded"
    else:
        outcome = f"message of {recording.duration_seconds:.0f} s for mailbox {mailbox}"
        s.left = Outcome(OutcomeKind.VOICEMAIL, mailbox)
        store = s.services.voicemail
        if store is None:
            s.step.error = "no voicemail store; message not saved"
        else:
            try:
                message_id = await store(s.call, mailbox, recording)
            except Exception as exc:
                s.step.error = f"message not saved: {exc}"
            else:
                if node.variable and message_id:
                    s.variables[node.variable] = message_id
    if node.next:
        return Transition(outcome, node.next)
    return Transition(outcome, end=s.ended())


async def run_transfer(s: Session, node: TransferNode) -> Transition:
    target = s.render(node.target)
    await s.play(node.prompt, interruptible=False)
    if await s.port.transfer(target):
        return Transition(f"transferred to {target}", end=Outcome(OutcomeKind.TRANSFER, target))
    s.step.error = f"transfer to {target} failed"
    if node.next:
        return Transition("transfer failed", node.next)
    return Transition("transfer failed", end=s.ended())


async def run_goto_flow(s: Session, node: GotoFlowNode) -> Transition:
    return Transition(f"to flow {node.flow}", flow=node.flow)


async def run_hangup(s: Session, node: HangupNode) -> Transition:
    await s.play(node.prompt, interruptible=False)
    return Transition("hang up", end=s.ended())
