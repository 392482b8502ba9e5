"""ARI REST calls over one pooled httpx client; credentials travel in a header."""

from __future__ import annotations

from typing import Any

import httpx

from pbx.ari.errors import AriUnavailable, error_for_status
from pbx.ari.models import Application, Channel, LiveRecording, Playback


class AriClient:
    def __init__(
        self, base_url: str, username: str, password: str, app: str, *, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self.username = username
        self.password = password
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/ari",
            auth=httpx.BasicAuth(username, password),
            timeout=timeout,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    @property
    def events_url(self) -> str:
        ws_base = "ws" + self.base_url.removeprefix("http")
        return f"{ws_base}/ari/events?app={self.app}&subscribeAll=false"

    async def close(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **params: Any) -> Any:
        query = {k: _param(v) for k, v in params.items() if v is not None}
        try:
            response = await self._http.request(method, path, params=query)
        except httpx.TransportError as exc:
            raise AriUnavailable(
                0, f"cannot reach Asterisk at {self.base_url}: {exc}", path
            ) from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text or response.reason_phrase
            raise error_for_status(response.status_code, message, path)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- asterisk and applications -------------------------------------------------
    async def asterisk_info(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", "/asterisk/info")
        return result

    async def application(self) -> Application:
        return Application.model_validate(await self.request("GET", f"/applications/{self.app}"))

    # --- channels ---------------------------------------------------------------
    async def channels(self) -> list[Channel]:
        return [Channel.model_validate(c) for c in await self.request("GET", "/channels")]

    async def channel(self, channel_id: str) -> Channel:
        return Channel.model_validate(await self.request("GET", f"/channels/{channel_id}"))

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", reason=reason)

    async def continue_in_dialplan(
        self, channel_id: str, context: str | None = None, extension: str | None = None
    ) -> None:
        await self.request(
            "POST", f"/channels/{channel_id}/continue", context=context, extension=extension
        )

    async def play(
        self, channel_id: str, media: list[str], playback_id: str, lang: str | None = None
    ) -> Playback:
        data = await self.request(
            "POST",
            f"/channels/{channel_id}/play/{playback_id}",
            media=media,
            lang=lang,
        )
        return Playback.model_validate(data)

    async def start_moh(self, channel_id: str, moh_class: str = "default") -> None:
        await self.request("POST", f"/channels/{channel_id}/moh", mohClass=moh_class)

    async def stop_moh(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/moh")

    async def originate(
        self,
        endpoint: str,
        channel_id: str,
        *,
        app_args: str,
        caller_id: str = "",
        timeout: int = 30,
        originator: str | None = None,
    ) -> Channel:
        """Dial ``endpoint``; the channel enters this app (``app_args``) when answered."""
        data = await self.request(
            "POST",
            f"/channels/{channel_id}",
            endpoint=endpoint,
            app=self.app,
            appArgs=app_args,
            callerId=caller_id or None,
            timeout=timeout,
            originator=originator,
        )
        return Channel.model_validate(data)

    async def snoop(
        self, channel_id: str, snoop_id: str, *, spy: str, whisper: str, app_args: str
    ) -> Channel:
        """A channel in this app that hears (``spy``) and/or speaks into (``whisper``)
        ``channel_id``: ``none``, ``in``, ``out`` or ``both``."""
        data = await self.request(
            "POST",
            f"/channels/{channel_id}/snoop/{snoop_id}",
            app=self.app,
            appArgs=app_args,
            spy=spy,
            whisper=whisper,
        )
        return Channel.model_validate(data)

    # --- bridges --------------------------------------------------------------------
    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> None:
        await self.request("POST", f"/bridges/{bridge_id}", type=kind)

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/addChannel", channel=channel_ids)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")

    async def record_bridge(self, bridge_id: str, name: str, fmt: str = "wav") -> LiveRecording:
        """Record the bridge's mixed audio to ``name`` until the bridge is destroyed."""
        data = await self.request(
            "POST",
            f"/bridges/{bridge_id}/record",
            name=name,
            format=fmt,
            maxDurationSeconds=0,
            maxSilenceSeconds=0,
            ifExists="overwrite",
            beep=False,
            terminateOn="none",
        )
        return LiveRecording.model_validate(data)

    async def remove_from_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/removeChannel", channel=channel_ids)

    async def bridge_channels(self, bridge_id: str) -> list[str]:
        data = await self.request("GET", f"/bridges/{bridge_id}")
        return [str(c) for c in data.get("channels", [])]

    async def mute(self, channel_id: str, direction: str = "in") -> None:
        """Silence what the channel sends (``in``), hears (``out``) or ``both``."""
        await self.request("POST", f"/channels/{channel_id}/mute", direction=direction)

    async def unmute(self, channel_id: str, direction: str = "in") -> None:
        await self.request("DELETE", f"/channels/{channel_id}/mute", direction=direction)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def playback(self, playback_id: str) -> Playback:
        return Playback.model_validate(await self.request("GET", f"/playbacks/{playback_id}"))

    async def record(
        self,
        channel_id: str,
        name: str,
        *,
        fmt: str = "wav",
        max_duration: int = 0,
        max_silence: int = 0,
        beep: bool = False,
        terminate_on: str = "none",
    ) -> LiveRecording:
        data = await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            name=name,
            format=fmt,
            maxDurationSeconds=max_duration,
            maxSilenceSeconds=max_silence,
            beep=beep,
            terminateOn=terminate_on,
            ifExists="overwrite",
        )
        return LiveRecording.model_validate(data)


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value
