"""Secrets generated on first use and kept in the state dir (mode 0600); never defaults."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    ari_password: str
    ami_secret: str
    api_token: str
    session_key: str

    @classmethod
    def generate(cls) -> Secrets:
        return cls(**{f.name: secrets.token_urlsafe(24) for f in fields(cls)})


def load_or_create_secrets(state_dir: Path) -> Secrets:
    """Read ``secrets.json``; create it with fresh random values when missing.

    Fields added in later versions are generated and written back; existing ones never
    change, so a running Asterisk keeps accepting the controller.
    """
    path = state_dir / "secrets.json"
    state_dir.mkdir(parents=True, exist_ok=True)
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    fresh = asdict(Secrets.generate())
    merged = {name: stored.get(name) or fresh[name] for name in fresh}
    if merged != stored:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(merged, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    return Secrets(**merged)


def mask(value: str | None) -> str:
    if not value:
        return "(unset)"
    return value[:2] + "…" + f"({len(value)} chars)"
