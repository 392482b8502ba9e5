"""Text-to-speech prompts: espeak-ng renders, sox converts to what Asterisk plays (8 kHz
mono 16-bit WAV), and the result is cached by content hash in a folder Asterisk reads.

Rendering runs in subprocesses, so the event loop never waits on it; the same text is
rendered once even when many calls ask for it at the same moment.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path, PurePosixPath

VOICES = {"en": "en-us", "fi": "fi", "sv": "sv", "uk": "uk"}


class TtsError(RuntimeError):
    pass


class SpeechSynthesizer:
    def __init__(self, cache_dir: Path, asterisk_dir: PurePosixPath, *, speed: int = 150) -> None:
        """``cache_dir`` is where files go on this host; ``asterisk_dir`` the same folder as
        Asterisk sees it (they differ when Asterisk runs in its own root)."""
        self.cache_dir = cache_dir
        self.asterisk_dir = asterisk_dir
        self.speed = speed
        self._pending: dict[str, asyncio.Future[None]] = {}

    @staticmethod
    def available() -> bool:
        return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None

    def key(self, text: str, language: str) -> str:
        voice = VOICES.get(language, language)
        return hashlib.sha256(f"espeak-ng|{voice}|{self.speed}|{text}".encode()).hexdigest()[:32]

    async def media(self, text: str, language: str) -> str:
        """An ARI media URI (``sound:/path/without/extension``) for ``text`` spoken."""
        key = self.key(text, language)
        target = self.cache_dir / f"{key}.wav"
        if not target.exists():
            pending = self._pending.get(key)
            if pending is None:
                pending = asyncio.ensure_future(self._render(text, language, target))
                self._pending[key] = pending
                pending.add_done_callback(lambda _f: self._pending.pop(key, None))
            await asyncio.shield(pending)
        return f"sound:{self.asterisk_dir / key}"

    async def _render(self, text: str, language: str, target: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        raw = target.with_suffix(f".{os.getpid()}.raw.wav")
        tmp = target.with_suffix(f".{os.getpid()}.tmp.wav")
        try:
            await _run(
                "espeak-ng",
                "-v",
                VOICES.get(language, language),
                "-s",
                str(self.speed),
                "-w",
                str(raw),
                "--",
                text,
            )
            # sox resamples with a proper anti-aliasing filter
            await _run(
                "sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                str(tmp),
            )  # fmt: skip
            tmp.chmod(0o644)
            tmp.replace(target)
        finally:
            raw.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)


async def _run(*command: str) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError as exc:
        raise TtsError(f"{command[0]} is not installed (apt-get install espeak-ng sox)") from exc
    _out, err = await process.communicate()
    if process.returncode != 0:
        raise TtsError(f"{command[0]} failed: {err.decode(errors='replace').strip()}")
