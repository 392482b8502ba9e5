"""Speech recognition with Vosk, offline: voicemail transcripts and spoken menu choices.

A model is configured per language (a deployment downloads its language's model);
models load lazily, once, in a worker thread, and recognition runs in worker threads
behind a small semaphore so the event loop never blocks and the CPU is not swamped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class SpeechUnavailable(RuntimeError):
    pass


class VoskRecognizer:
    def __init__(self, models: Mapping[str, Path], *, concurrency: int = 1) -> None:
        self.models = dict(models)
        self._loaded: dict[str, Any] = {}
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._slots = asyncio.Semaphore(concurrency)

    def supports(self, language: str) -> bool:
        return language in self.models

    async def _model(self, language: str) -> Any:
        if language in self._loaded:
            return self._loaded[language]
        path = self.models.get(language)
        if path is None:
            raise SpeechUnavailable(f"no speech model configured for language '{language}'")
        if language not in self._loading:
            self._loading[language] = asyncio.ensure_future(asyncio.to_thread(_load, path))
        model = await asyncio.shield(self._loading[language])
        self._loaded[language] = model
        return model

    async def transcribe_file(self, wav: Path, language: str) -> str:
        """Free-form transcript of a recording (voicemail)."""
        model = await self._model(language)
        async with self._slots:
            return await asyncio.to_thread(_recognise_file, model, wav, None)

    async def match(self, audio: bytes, phrases: Sequence[str], language: str) -> str | None:
        """Which of ``phrases`` was said in ``audio`` (8 kHz 16-bit mono PCM), or None."""
        model = await self._model(language)
        async with self._slots:
            heard = await asyncio.to_thread(_recognise_pcm, model, audio, 8000, list(phrases))
        normalised = {p.lower(): p for p in phrases}
        return normalised.get(heard.strip().lower())

    async def match_file(self, wav: Path, phrases: Sequence[str], language: str) -> str | None:
        model = await self._model(language)
        async with self._slots:
            heard = await asyncio.to_thread(_recognise_file, model, wav, list(phrases))
        normalised = {p.lower(): p for p in phrases}
        return normalised.get(heard.strip().lower())


def _load(path: Path) -> Any:
    try:
        import vosk
    except ImportError as exc:  # pragma: no cover - vosk is a dependency
        raise SpeechUnavailable("the vosk package is not installed") from exc
    if not path.is_dir():
        raise SpeechUnavailable(f"speech model folder {path} does not exist")
    vosk.SetLogLevel(-1)
    log.info("loading speech model %s", path)
    return vosk.Model(str(path))


def _recognise_file(model: Any, wav: Path, phrases: list[str] | None) -> str:
    with wave.open(str(wav), "rb") as audio:
        if audio.getnchannels() != 1 or audio.getsampwidth() != 2:
            raise SpeechUnavailable(f"{wav} is not 16-bit mono audio")
        return _recognise_pcm(
            model, audio.readframes(audio.getnframes()), audio.getframerate(), phrases
        )


def _recognise_pcm(model: Any, pcm: bytes, rate: int, phrases: list[str] | None) -> str:
    import vosk

    if phrases is None:
        recogniser = vosk.KaldiRecognizer(model, rate)
    else:
        recogniser = vosk.KaldiRecognizer(
            model, rate, json.dumps([*phrases, "[unk]"], ensure_ascii=False)
        )
    chunk = rate * 2 // 2  # half a second of 16-bit samples
    words: list[str] = []
    for start in range(0, len(pcm), chunk):
        if recogniser.AcceptWaveform(pcm[start : start + chunk]):
            words.append(json.loads(recogniser.Result()).get("text", ""))
    words.append(json.loads(recogniser.FinalResult()).get("text", ""))
    return " ".join(w for w in words if w and w != "[unk]").strip()
