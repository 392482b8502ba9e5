"""Graph checks on a flow's `id -> node` map: dangling branches, unreachable nodes and
loops that would spin forever without the caller ever being asked anything."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .models import NODE_TYPES, BaseNode, Path


@dataclass(frozen=True)
class GraphIssue:
    path: Path
    """Where in the document the problem is."""
    message: str
    at_key: bool = False
    """Point at the key (the node id) rather than the value."""


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class NodeInfo:
    """What the graph checks need to know about one node."""

    targets: tuple[tuple[Path, str, str], ...]
    """Branches as (path within the node, target id, label)."""
    waits: bool | None
    """Whether the node waits for the caller; None when its type is unknown."""
    exact: bool = True
    """False when the branches were guessed (the node's type is unknown)."""


def node_info(node: BaseNode) -> NodeInfo:
    return NodeInfo(tuple(node.targets()), node.waits_for_caller)


def raw_node_info(raw: Any, ids: Iterable[str]) -> NodeInfo:
    """Branches of a node that failed validation, read from its raw data."""
    if not isinstance(raw, dict):
        return NodeInfo((), None, exact=False)
    cls = NODE_TYPES.get(str(raw.get("type")))
    if cls is None:
        guessed = sorted(_strings(raw) & set(ids))
        return NodeInfo(tuple(((), t, "") for t in guessed), None, exact=False)
    targets: list[tuple[Path, str, str]] = []
    names = ["else"] if raw.get("type") == "branch" else list(cls.branch_fields)
    for name in names:
        if isinstance(raw.get(name), str):
            targets.append(((name,), raw[name], name))
    options = raw.get("options")
    if raw.get("type") == "menu" and isinstance(options, dict):
        for digit, target in options.items():
            if isinstance(target, str):
                targets.append((("options", digit), target, f"option '{digit}'"))
    for key, label in (("conditions", "condition"), ("choices", "choice")):
        items = raw.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("goto"), str):
                targets.append(((key, index, "goto"), item["goto"], f"{label} {index + 1}"))
    return NodeInfo(tuple(targets), cls.waits_for_caller)


def _strings(raw: Any) -> set[str]:
    found: set[str] = set()
    stack = [raw]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _components(edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


def _cycle(first: str, members: set[str], edges: Mapping[str, list[str]]) -> list[str]:
    """One cycle through `first` inside a strongly connected component."""
    previous: dict[str, str] = {}
    queue = [first]
    while queue:
        node = queue.pop(0)
        for nxt in edges[node]:
            if nxt == first:
                path = [node]
                while path[-1] != first:
                    path.append(previous[path[-1]])
                return [first, *reversed(path[:-1]), first]
            if nxt in members and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return [first, first]  # pragma: no cover - a component always has a cycle


def check_graph(start: Any, nodes: Mapping[str, NodeInfo]) -> list[GraphIssue]:
    """Dangling branches, nodes unreachable from `start`, and exitless loops."""
    issues: list[GraphIssue] = []
    ids = list(nodes)
    for node_id, info in nodes.items():
        if not info.exact:
            continue
        for path, target, label in info.targets:
            if target not in nodes:
                issues.append(
                    GraphIssue(
                        ("nodes", node_id, *path),
                        f"node '{node_id}' {label} points to unknown node '{target}'"
                        + _suggest(target, ids),
                    )
                )
    edges = {i: [t for _, t, _ in info.targets if t in nodes] for i, info in nodes.items()}
    if isinstance(start, str) and start not in nodes:
        issues.append(
            GraphIssue(("start",), f"start node '{start}' does not exist" + _suggest(start, ids))
        )
    elif isinstance(start, str):
        seen = {start}
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for node_id in ids:
            if node_id not in seen:
                issues.append(
                    GraphIssue(
                        ("nodes", node_id),
                        f"node '{node_id}' can never be reached from start node '{start}'",
                        at_key=True,
                    )
                )
    issues.extend(_loop_issues(nodes, edges))
    return issues


def _loop_issues(nodes: Mapping[str, NodeInfo], edges: Mapping[str, list[str]]) -> list[GraphIssue]:
    order = {node_id: i for i, node_id in enumerate(nodes)}
    issues: list[GraphIssue] = []
    for component in _components(edges):
        members = set(component)
        first = min(component, key=order.__getitem__)
        if len(component) == 1 and first not in edges[first]:
            continue
        if any(nodes[m].waits is not False for m in component):
            continue
        if any(nxt not in members for m in component for nxt in edges[m]):
            continue
        cycle = " -> ".join(f"'{n}'" for n in _cycle(first, members, edges))
        issues.append(
            GraphIssue(
                ("nodes", first),
                f"nodes {cycle} loop forever: none of them waits for the caller and none leads out",
                at_key=True,
            )
        )
    return issues
