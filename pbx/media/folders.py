"""Folders of audio shared with Asterisk, each seen from this host and from Asterisk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pbx.media.tts import SpeechSynthesizer


@dataclass(frozen=True)
class MediaFolders:
    """Switchboard's own media (TTS cache, uploaded prompts) and Asterisk's recordings."""

    host: Path
    asterisk: PurePosixPath
    recordings: Path  # Asterisk's recording folder, on this host
    sound_dirs: tuple[Path, ...] = ()  # Asterisk's core prompts, for flow validation

    @property
    def uploads(self) -> Path:
        return self.host / "uploads"

    def synthesizer(self) -> SpeechSynthesizer:
        return SpeechSynthesizer(self.host / "tts", self.asterisk / "tts")
