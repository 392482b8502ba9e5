"""Turn pydantic validation errors into plain-language messages at a YAML position."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from switchboard.yaml_loader import LoadedYaml, Mark

from .fields import PATTERN_HINTS
from .models import NODE_TYPES, Flow, Path
from .prompts import Prompt


@dataclass(frozen=True, order=True)
class FlowError:
    """One problem in a flow or routes file, printed as `file:line:col: message`."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def error_at(file: str, mark: Mark, message: str) -> FlowError:
    return FlowError(file, mark.line, mark.column, message)


def describe_path(path: Path) -> str:
    """`("nodes", "billing", "prompt", "say")` -> `node 'billing' field 'prompt.say'`."""
    if not path:
        return "the file"
    if path[0] == "nodes" and len(path) >= 2:
        where = f"node '{path[1]}'"
        rest = path[2:]
    else:
        where, rest = "", path
    if rest:
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
        where = f"{where} field '{dotted}'".strip()
    return where


def _field_names(path: Path, node_type: str | None) -> set[str]:
    """Field names allowed at the mapping `path` points into (for did-you-mean)."""
    if len(path) == 0:
        return set(Flow.model_fields)
    if path[0] == "nodes" and len(path) == 2 and node_type in NODE_TYPES:
        cls = NODE_TYPES[node_type]
        return {f.alias or name for name, f in cls.model_fields.items()}
    if "prompt" in str(path[-1]) or any("prompt" in str(p) for p in path[-2:]):
        return set(Prompt.model_fields)
    return set()


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _node_type(data: Any, node_id: Any) -> str | None:
    try:
        node_type = data["nodes"][node_id]["type"]
    except (KeyError, TypeError):
        return None
    return node_type if isinstance(node_type, str) else None


def translate(file: str, doc: LoadedYaml, exc: ValidationError) -> list[FlowError]:
    """One FlowError per pydantic error, pointing at the offending key or value."""
    errors: list[FlowError] = []
    for err in exc.errors():
        loc: Path = tuple(err["loc"])
        node_type: str | None = None
        if len(loc) >= 2 and loc[0] == "nodes":
            node_type = _node_type(doc.data, loc[1])
            if len(loc) >= 3 and loc[2] == node_type:
                loc = (*loc[:2], *loc[3:])  # drop the discriminator tag
        errors.append(_one(file, doc, loc, err, node_type))
    return errors


def _one(file: str, doc: LoadedYaml, loc: Path, err: Any, node_type: str | None) -> FlowError:
    kind: str = err["type"]
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc = loc[:-1]
    found = doc.locate(loc)
    where = describe_path(found)
    if kind == "missing":
        parent = doc.locate(loc[:-1])
        label = describe_path(parent)
        mark = doc.key_mark(parent)
        return error_at(file, mark, f"{label} is missing required field '{loc[-1]}'")
    if kind == "extra_forbidden":
        parent = found[:-1]
        key = str(found[-1]) if found else "?"
        hint = _suggest(key, _field_names(parent, node_type))
        return error_at(
            file, doc.key_mark(found), f"{describe_path(parent)} has unknown field '{key}'{hint}"
        )
    if kind == "union_tag_invalid":
        tag = err["ctx"].get("tag")
        hint = _suggest(str(tag), NODE_TYPES)
        return error_at(
            file,
            doc.value_mark((*loc, "type")),
            f"node '{loc[1]}' has unknown type '{tag}'{hint}; known types: {', '.join(NODE_TYPES)}",
        )
    if kind == "union_tag_not_found":
        return error_at(file, doc.key_mark(loc), f"node '{loc[1]}' needs a 'type'")
    if kind == "string_pattern_mismatch":
        pattern = err["ctx"].get("pattern", "")
        wanted = PATTERN_HINTS.get(pattern, f"text matching {pattern}")
        subject = f"'{loc[-1]}'" if is_key else where
        mark = doc.key_mark(found) if is_key else doc.value_mark(found)
        return error_at(file, mark, f"{subject} is not {wanted}")
    message = str(err["msg"])
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[:1].lower() + message[1:]
    if is_key:
        return error_at(file, doc.key_mark(found), f"key '{loc[-1]}' in {where}: {message}")
    whole_node = len(found) == 2 and found[0] == "nodes"
    mark = doc.key_mark(found) if whole_node else doc.value_mark(found)
    return error_at(file, mark, f"{where}: {message}")
