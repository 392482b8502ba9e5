"""The parts of ARI's JSON model and events that Switchboard uses, as typed classes.

Unknown event types still parse (as ``AriEvent``) so new Asterisk versions never break
the reader; fields Switchboard does not use are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CallerId(_Model):
    name: str = ""
    number: str = ""


class DialplanCep(_Model):
    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""


class Channel(_Model):
    id: str
    name: str = ""
    state: str = ""
    caller: CallerId = CallerId()
    connected: CallerId = CallerId()
    dialplan: DialplanCep = DialplanCep()
    creationtime: datetime | None = None
    language: str = "en"


class Playback(_Model):
    id: str
    media_uri: str = ""
    target_uri: str = ""
    state: str = ""


class LiveRecording(_Model):
    name: str
    target_uri: str = ""
    format: str = ""
    state: str = ""
    duration: int | None = None
    cause: str = ""


class Application(_Model):
    name: str
    channel_ids: list[str] = Field(default_factory=list)
    bridge_ids: list[str] = Field(default_factory=list)


class AriEvent(_Model):
    type: str
    application: str = ""
    timestamp: datetime | None = None
    asterisk_id: str = ""


class StasisStart(AriEvent):
    channel: Channel
    args: list[str] = Field(default_factory=list)
    replace_channel: Channel | None = None


class StasisEnd(AriEvent):
    channel: Channel


class ChannelStateChange(AriEvent):
    channel: Channel


class ChannelDestroyed(AriEvent):
    channel: Channel
    cause: int = 0
    cause_txt: str = ""


class ChannelHangupRequest(AriEvent):
    channel: Channel
    cause: int = 0
    soft: bool = False


class ChannelDtmfReceived(AriEvent):
    channel: Channel
    digit: str
    duration_ms: int = 0


class PlaybackStarted(AriEvent):
    playback: Playback


class PlaybackFinished(AriEvent):
    playback: Playback


class RecordingFinished(AriEvent):
    recording: LiveRecording


class RecordingFailed(AriEvent):
    recording: LiveRecording


EVENT_TYPES: dict[str, type[AriEvent]] = {
    cls.__name__: cls
    for cls in (
        StasisStart,
        StasisEnd,
        ChannelStateChange,
        ChannelDestroyed,
        ChannelHangupRequest,
        ChannelDtmfReceived,
        PlaybackStarted,
        PlaybackFinished,
        RecordingFinished,
        RecordingFailed,
    )
}


def parse_event(data: dict[str, Any]) -> AriEvent:
    return EVENT_TYPES.get(str(data.get("type")), AriEvent).model_validate(data)
