"""Validate flow files and the routing table, reporting every problem with line and column."""

from __future__ import annotations

import difflib
import glob
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import BaseModel, TypeAdapter, ValidationError

from switchboard.yaml_loader import LoadedYaml, YamlSyntaxError, load_yaml

from .diagnostics import FlowError, describe_path, error_at, translate
from .fields import LANGUAGES
from .graph import check_graph, node_info, raw_node_info
from .models import NODE_TYPES, BaseNode, Flow, GotoFlowNode, Node, SetNode, TransferNode
from .models import Path as DocPath
from .prompts import Prompt
from .routes import RouteTable, parse_routes

ROUTES_FILE = "routes.yaml"
_NODE = TypeAdapter(Node)

__all__ = [
    "ROUTES_FILE",
    "DirCheck",
    "FlowError",
    "Resources",
    "check_flow",
    "check_routes",
    "check_sources",
    "flow_files",
    "validate_dir",
    "validate_file",
]


@dataclass(frozen=True)
class Resources:
    """Where prompts' `sound:` and `file:` names must exist; empty means "do not check"."""

    sound_dirs: tuple[Path, ...] = ()
    uploads_dir: Path | None = None

    def sound_exists(self, name: str, language: str | None) -> bool:
        languages = (language,) if language else LANGUAGES
        for base in self.sound_dirs:
            if _has_file(base, name) or any(_has_file(base / lang, name) for lang in languages):
                return True
        return False

    def file_exists(self, name: str) -> bool:
        return self.uploads_dir is not None and _has_file(self.uploads_dir, name)


def _has_file(directory: Path, name: str) -> bool:
    target = directory / name
    if target.is_file():
        return True
    return target.parent.is_dir() and any(target.parent.glob(glob.escape(target.name) + ".*"))


def _suggest(name: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def iter_prompts(obj: Any, path: DocPath = ()) -> Iterator[tuple[DocPath, Prompt]]:
    """Every prompt inside a model, with its path."""
    if isinstance(obj, Prompt):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            yield from iter_prompts(getattr(obj, name), (*path, info.alias or name))
    elif isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from iter_prompts(item, (*path, index))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from iter_prompts(item, (*path, key))


def _prompt_problems(
    node_id: str, node: BaseNode, default: str, resources: Resources
) -> Iterator[tuple[DocPath, str]]:
    for path, prompt in iter_prompts(node, ("nodes", node_id)):
        for kind in ("say", "sound", "file"):
            text = getattr(prompt, kind)
            if text is None:
                continue
            variants = text.items() if isinstance(text, dict) else [(prompt.language, text)]
            if isinstance(text, dict) and prompt.language is None and default not in text:
                yield (
                    (*path, kind),
                    f"node '{node_id}': prompt has no '{default}' text "
                    "(the flow's default language)",
                )
            for lang, name in variants:
                where = (*path, kind, lang) if isinstance(text, dict) else (*path, kind)
                problem = _resource_problem(kind, name, lang, resources)
                if problem:
                    yield where, f"node '{node_id}': {problem}"


def _resource_problem(kind: str, name: str, lang: str | None, resources: Resources) -> str | None:
    """Why a `sound:` or `file:` name cannot be played, or None."""
    if kind == "say" or "{" in name:
        return None
    if name.startswith("/") or ".." in name.split("/"):
        return f"{kind} name '{name}' must be a plain name"
    if kind == "sound" and resources.sound_dirs and not resources.sound_exists(name, lang):
        return f"sound '{name}' not found in {', '.join(str(d) for d in resources.sound_dirs)}"
    if kind == "file" and resources.uploads_dir and not resources.file_exists(name):
        return f"file '{name}' not found in {resources.uploads_dir}"
    return None


def _node_problems(
    node_id: str, node: BaseNode, known_flows: Collection[str]
) -> Iterator[tuple[DocPath, str]]:
    if isinstance(node, GotoFlowNode) and node.flow not in known_flows:
        yield (
            ("nodes", node_id, "flow"),
            f"node '{node_id}' goes to unknown flow '{node.flow}'"
            + _suggest(node.flow, known_flows),
        )
    if isinstance(node, SetNode):
        language = node.variables.get("language")
        if language is not None and language not in LANGUAGES and "{" not in str(language):
            yield (
                ("nodes", node_id, "variables", "language"),
                f"node '{node_id}': language '{language}' is not one of {', '.join(LANGUAGES)}",
            )
    if isinstance(node, TransferNode) and node.target.startswith("+"):
        try:
            possible = phonenumbers.is_possible_number(phonenumbers.parse(node.target))
        except phonenumbers.NumberParseException:
            possible = False
        if not possible:
            yield (
                ("nodes", node_id, "target"),
                f"node '{node_id}': '{node.target}' is not a possible phone number",
            )


def _parse_node(raw: Any) -> BaseNode | None:
    """The node, or a best-effort version without its faulty fields (for further checks)."""
    try:
        return _NODE.validate_python(raw)
    except ValidationError as exc:
        if not isinstance(raw, dict) or raw.get("type") not in NODE_TYPES:
            return None
        faulty = {err["loc"][1] for err in exc.errors() if len(err["loc"]) > 1}
        lenient = {key: value for key, value in raw.items() if key not in faulty}
    try:
        return _NODE.validate_python(lenient)
    except ValidationError:
        return None


def _load(text: str, file: str) -> tuple[LoadedYaml | None, list[FlowError]]:
    try:
        doc = load_yaml(text)
    except YamlSyntaxError as exc:
        return None, [error_at(file, exc.mark, exc.message)]
    errors = []
    for dup in doc.duplicates:
        if dup.mapping[:1] == ("nodes",) and len(dup.mapping) == 3 and dup.mapping[2] == "options":
            what = f"node '{dup.mapping[1]}' option '{dup.key}' is used twice"
        elif dup.mapping == ("nodes",):
            what = f"node id '{dup.key}' is defined twice"
        else:
            where = describe_path(dup.mapping)
            what = f"'{dup.key}' is given twice in {where}"
        errors.append(error_at(file, dup.second, f"{what} (first on line {dup.first.line})"))
    return doc, errors


def check_flow(
    text: str, file: str, *, stem: str, known_flows: Collection[str], resources: Resources
) -> tuple[Flow | None, list[FlowError]]:
    """Validate one flow file's text. Returns the flow only when there is no error."""
    doc, errors = _load(text, file)
    if doc is None:
        return None, errors
    data = doc.data
    if not isinstance(data, dict):
        errors.append(
            error_at(
                file,
                doc.value_mark(()),
                "a flow file must be a map with name, language, start and nodes",
            )
        )
        return None, errors
    flow: Flow | None = None
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        errors.extend(translate(file, doc, exc))

    def add(path: DocPath, message: str, at_key: bool = False) -> None:
        errors.append(
            error_at(file, doc.key_mark(path) if at_key else doc.value_mark(path), message)
        )

    if isinstance(data.get("name"), str) and data["name"] != stem:
        add(("name",), f"flow name '{data['name']}' does not match its file name '{stem}'")
    raw_nodes = data.get("nodes")
    if isinstance(raw_nodes, dict):
        nodes = {node_id: _parse_node(raw) for node_id, raw in raw_nodes.items()}
        infos = {
            node_id: node_info(node) if node else raw_node_info(raw_nodes[node_id], raw_nodes)
            for node_id, node in nodes.items()
        }
        for issue in check_graph(data.get("start"), infos):
            add(issue.path, issue.message, issue.at_key)
        default = data.get("language") if data.get("language") in LANGUAGES else "en"
        for node_id, node in nodes.items():
            if node is None:
                continue
            for path, message in _prompt_problems(node_id, node, default, resources):
                add(path, message)
            for path, message in _node_problems(node_id, node, known_flows):
                add(path, message)
    errors = sorted(set(errors), key=lambda e: (e.line, e.column, e.message))
    return (flow if not errors else None), errors


def check_routes(
    text: str, file: str, *, known_flows: Collection[str]
) -> tuple[RouteTable | None, list[FlowError]]:
    doc, errors = _load(text, file)
    if doc is None:
        return None, errors
    table, problems = parse_routes(doc.data)
    for path, message, at_key in problems:
        errors.append(
            error_at(file, doc.key_mark(path) if at_key else doc.value_mark(path), message)
        )
    for key, flow in table.items():
        if flow not in known_flows:
            errors.append(
                error_at(
                    file,
                    doc.value_mark((key,)),
                    f"route '{key}' points to unknown flow '{flow}'" + _suggest(flow, known_flows),
                )
            )
    errors.sort(key=lambda e: (e.line, e.column))
    return (table if not errors else None), errors


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a directory (every `*.yaml`/`*.yml` except the routing table)."""
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return sorted(p for p in files if p.name != ROUTES_FILE and p.is_file())


@dataclass
class DirCheck:
    flows: dict[str, Flow] = field(default_factory=dict)
    routes: RouteTable = field(default_factory=lambda: RouteTable({}))
    errors: list[FlowError] = field(default_factory=list)


def _decode(raw: bytes, file: str, errors: list[FlowError]) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(FlowError(file, 1, 1, f"not UTF-8 text ({exc.reason})"))
        return None


def check_sources(sources: Mapping[Path, bytes], *, resources: Resources = Resources()) -> DirCheck:
    """Check one directory's files (path -> content); routes are the file named routes.yaml."""
    result = DirCheck()
    flow_paths = [p for p in sources if p.name != ROUTES_FILE]
    known = {p.stem for p in flow_paths}
    for path in flow_paths:
        text = _decode(sources[path], str(path), result.errors)
        if text is None:
            continue
        flow, errors = check_flow(
            text, str(path), stem=path.stem, known_flows=known, resources=resources
        )
        result.errors.extend(errors)
        if flow is not None:
            result.flows[flow.name] = flow
    for path in (p for p in sources if p.name == ROUTES_FILE):
        text = _decode(sources[path], str(path), result.errors)
        if text is None:
            continue
        table, errors = check_routes(text, str(path), known_flows=known)
        result.errors.extend(errors)
        if table is not None:
            result.routes = table
    return result


def read_sources(directory: Path) -> dict[Path, bytes]:
    """The flow files and routing table of a directory, read once."""
    paths = flow_files(directory)
    routes = directory / ROUTES_FILE
    if routes.is_file():
        paths.append(routes)
    return {p: p.read_bytes() for p in paths}


def validate_dir(
    directory: Path | str,
    *,
    sound_dirs: Sequence[Path | str] = (),
    uploads_dir: Path | str | None = None,
) -> list[FlowError]:
    """Every problem in every flow file and the routing table of `directory`."""
    resources = _resources(sound_dirs, uploads_dir)
    return check_sources(read_sources(Path(directory)), resources=resources).errors


def validate_file(
    path: Path | str,
    *,
    sound_dirs: Sequence[Path | str] = (),
    uploads_dir: Path | str | None = None,
    known_flows: Collection[str] | None = None,
) -> list[FlowError]:
    """Every problem in one flow file or routing table.

    Flows named by `goto_flow` or by routes must exist: by default, as files beside it.
    """
    path = Path(path)
    if known_flows is None:
        known_flows = {p.stem for p in flow_files(path.parent)} | {path.stem}
    errors: list[FlowError] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [FlowError(str(path), 1, 1, f"cannot read file: {exc.strerror}")]
    text = _decode(raw, str(path), errors)
    if text is None:
        return errors
    if path.name == ROUTES_FILE:
        return check_routes(text, str(path), known_flows=known_flows)[1]
    return check_flow(
        text,
        str(path),
        stem=path.stem,
        known_flows=known_flows,
        resources=_resources(sound_dirs, uploads_dir),
    )[1]


def _resources(sound_dirs: Sequence[Path | str], uploads_dir: Path | str | None) -> Resources:
    return Resources(
        tuple(Path(d) for d in sound_dirs), Path(uploads_dir) if uploads_dir is not None else None
    )
