"""Locating the project's data folders (config templates, flows) in a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_PACKAGED = Path(__file__).resolve().parent / "_resources"


def resource_dir(name: str) -> Path:
    for base in (_CHECKOUT, _PACKAGED):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Switchboard resource folder '{name}' is missing from the install")
