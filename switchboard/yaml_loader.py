"""YAML loading that remembers where every key and value is, and catches duplicate keys.

PyYAML's composer gives each node its start mark; we build plain Python data from those
nodes ourselves so that (a) every path within the document maps to a line and column and
(b) a key given twice is reported instead of silently overwritten.

Plain scalars follow YAML 1.2's core rules rather than PyYAML's YAML 1.1 ones, which matter
for phone systems: `16:00` stays a text (not the base-60 number 960), `0800123456` and
`+358800123456` stay texts, `no`/`on` stay texts. Mapping keys are always the text as
written. Quoted scalars are always texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass(frozen=True)
class Span:
    key: Mark | None
    """Where the key naming this value is (None for the root and list items)."""
    value: Mark


@dataclass(frozen=True)
class DuplicateKey:
    mapping: Path
    key: str
    first: Mark
    second: Mark


class YamlSyntaxError(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass(frozen=True)
class LoadedYaml:
    data: Any
    spans: Mapping[Path, Span]
    duplicates: tuple[DuplicateKey, ...]

    def locate(self, path: Path) -> Path:
        """The longest part of `path` that exists in the document.

        Path segments that do not exist (such as a pydantic union tag, or index 0 of a
        single prompt written without a list) are skipped rather than ending the walk.
        """
        found: Path = ()
        current = self.data
        for segment in path:
            step: str | int | None = None
            if isinstance(current, dict) and isinstance(segment, str) and segment in current:
                step = segment
            elif isinstance(current, list):
                if isinstance(segment, int) and 0 <= segment < len(current):
                    step = segment
                elif segment in current:
                    step = current.index(segment)
            if step is None:
                continue
            found = (*found, step)
            current = current[step]  # type: ignore[index]
        return found

    def value_mark(self, path: Path) -> Mark:
        return self.spans[self.locate(path)].value

    def key_mark(self, path: Path) -> Mark:
        span = self.spans[self.locate(path)]
        return span.key or span.value


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: ScalarNode) -> Any:
    text = node.value
    if node.style is not None:  # quoted or block scalar
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


class _Builder:
    def __init__(self) -> None:
        self.spans: dict[Path, Span] = {}
        self.duplicates: list[DuplicateKey] = []
        self._active: set[int] = set()

    def build(self, node: Node, path: Path, key: Mark | None) -> Any:
        self.spans[path] = Span(key, _mark(node))
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if id(node) in self._active:
            raise YamlSyntaxError("an alias refers to itself", _mark(node))
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i), None) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise YamlSyntaxError("unsupported YAML node", _mark(node))  # pragma: no cover

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError(
                    "a key must be a plain name, not a list or map", _mark(key_node)
                )
            key = str(key_node.value)
            key_mark = _mark(key_node)
            if key in first_seen:
                self.duplicates.append(DuplicateKey(path, key, first_seen[key], key_mark))
                continue
            first_seen[key] = key_mark
            result[key] = self.build(value_node, (*path, key), key_mark)
        return result


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document; raises YamlSyntaxError with the position of the problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(f"invalid YAML: {problem}", where) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise YamlSyntaxError(f"invalid YAML: {exc}", Mark(1, 1)) from exc
    if root is None:
        return LoadedYaml(None, {(): Span(None, Mark(1, 1))}, ())
    builder = _Builder()
    data = builder.build(root, (), None)
    return LoadedYaml(data, builder.spans, tuple(builder.duplicates))
