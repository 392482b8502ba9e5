"""Reading a category tree from YAML (nested) or CSV (path,name rows)."""

from __future__ import annotations

import csv
import io
from typing import Any

import yaml

from ticketing.errors import InvalidInput


def parse_categories(text: str, filename: str) -> list[tuple[str, str]]:
    """(path, name) pairs, parents before children. YAML::

        categories:
          - {code: WATER, name: Water supply, children: [{code: LEAK, name: Leak}]}

    CSV: a header ``path,name`` and rows such as ``WATER/LEAK,Leak``.
    """
    if filename.lower().endswith(".csv"):
        return _csv(text)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{filename}: not YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("categories"), list):
        raise InvalidInput(f"{filename}: expected a mapping with a 'categories' list")
    rows: list[tuple[str, str]] = []
    _walk(document["categories"], "", rows, filename)
    return rows


def _walk(items: list[Any], parent: str, rows: list[tuple[str, str]], filename: str) -> None:
    for item in items:
        if not isinstance(item, dict) or "code" not in item or "name" not in item:
            raise InvalidInput(f"{filename}: every category needs a code and a name: {item!r}")
        path = f"{parent}/{item['code']}" if parent else str(item["code"])
        rows.append((path.upper(), str(item["name"])))
        children = item.get("children") or []
        if not isinstance(children, list):
            raise InvalidInput(f"{filename}: children of {path} must be a list")
        _walk(children, path, rows, filename)


def _csv(text: str) -> list[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or {"path", "name"} - set(reader.fieldnames):
        raise InvalidInput("the CSV needs the columns path and name")
    rows = []
    for line, row in enumerate(reader, start=2):
        path, name = (row.get("path") or "").strip().upper(), (row.get("name") or "").strip()
        if not path or not name:
            raise InvalidInput(f"line {line}: path and name are required")
        rows.append((path, name))
    return sorted(rows, key=lambda r: r[0].count("/"))
