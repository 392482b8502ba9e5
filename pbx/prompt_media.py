"""Turning a flow's resolved prompts into ARI media URIs Asterisk can play.

Asterisk sounds play as themselves (in the call's language, falling back to English);
text, and digits or numbers outside English, are spoken by text-to-speech so a caller
hears one voice in their own language; uploaded files play from the media folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from pbx.ivr.prompts import ResolvedPrompt
from pbx.media.folders import MediaFolders
from pbx.media.tts import SpeechSynthesizer


class PromptMedia:
    def __init__(self, folders: MediaFolders, tts: SpeechSynthesizer) -> None:
        self.folders = folders
        self.tts = tts

    async def media(self, prompts: Sequence[ResolvedPrompt]) -> list[str]:
        return [await self.one(p) for p in prompts]

    async def one(self, prompt: ResolvedPrompt) -> str:
        if prompt.kind == "sound":
            return f"sound:{prompt.text}"
        if prompt.kind == "file":
            stem = PurePosixPath(prompt.text).stem
            return f"sound:{self.folders.asterisk / 'uploads' / stem}"
        if prompt.kind == "digits":
            if prompt.language == "en":
                return f"digits:{prompt.text}"
            return await self.tts.media(" ".join(prompt.text), prompt.language)
        if prompt.kind == "number":
            if prompt.language == "en" and prompt.text.isdigit():
                return f"number:{prompt.text}"
            return await self.tts.media(prompt.text, prompt.language)
        return await self.tts.media(prompt.text, prompt.language)
