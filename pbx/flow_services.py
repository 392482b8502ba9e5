"""The business services IVR nodes use, over real back ends (HTTP, the database, Vosk)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from notices.models import NoticeKind
from notices.service import NoticeService
from pbx.ivr.port import Outage
from pbx.media.speech import VoskRecognizer


class HttpLookupClient:
    """JSON lookups against a customer system: GET with query, POST with a JSON body."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self, method: str, url: str, params: Mapping[str, str], timeout: float
    ) -> Mapping[str, Any]:
        if method.upper() == "GET":
            response = await self.client.get(url, params=dict(params), timeout=timeout)
        else:
            response = await self.client.request(
                method.upper(), url, json=dict(params), timeout=timeout
            )
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, Mapping):
            raise ValueError(f"{url} answered {type(data).__name__}, not a JSON object")
        return data


class OutageAnnouncements:
    """Active outages and planned works for the caller's postcode, from the notices."""

    def __init__(self, notices: NoticeService) -> None:
        self.notices = notices

    async def __call__(self, area: str) -> Sequence[Outage]:
        return [
            Outage(
                kind="outage" if n.kind is NoticeKind.EMERGENCY else "planned",
                message=n.message,
                area=", ".join(n.areas),
            )
            for n in await self.notices.current(area)
        ]


class SpeechChoices:
    """Spoken menu choices matched by Vosk against the node's phrases."""

    def __init__(self, recognizer: VoskRecognizer) -> None:
        self.recognizer = recognizer

    async def __call__(self, audio: bytes, phrases: Sequence[str], language: str) -> str | None:
        return await self.recognizer.match(audio, phrases, language)
