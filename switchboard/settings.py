"""Effective settings: environment variables over an optional TOML file over defaults.

Environment variables use the ``SWITCHBOARD_`` prefix and ``__`` for nesting
(``SWITCHBOARD_ASTERISK__SIP_PORT=5070``); ``DATABASE_URL`` is accepted as is.
The TOML file is ``$SWITCHBOARD_CONFIG`` or ``./switchboard.toml`` when present.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from channels.settings import ChannelSettings


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback) / "switchboard"


class AsteriskSettings(BaseModel):
    """Where Asterisk comes from and how the controller reaches it."""

    mode: Literal["auto", "system", "managed", "external"] = Field(
        "auto",
        description=(
            "auto: a system Asterisk 20+ on PATH, else a provisioned Asterisk 22; "
            "system: only the one on PATH; managed: always the provisioned one; "
            "external: an Asterisk run by someone else, reached by host/ports and credentials"
        ),
    )
    instance: str = "main"
    host: str = "127.0.0.1"
    bind_address: str = "127.0.0.1"
    sip_port: int = 5060
    http_port: int = 8088
    wss_port: int | None = Field(
        None,
        description="Port of Asterisk's TLS HTTP server, for browser softphones over secure "
        "WebSocket (wss://HOST:PORT/ws); unset: plain ws:// on http_port only",
    )
    tls_cert_file: Path | None = Field(
        None,
        description="PEM certificate for wss_port (default: a self-signed one, generated once "
        "per instance under its keys folder)",
    )
    tls_key_file: Path | None = Field(None, description="PEM private key of tls_cert_file")
    ami_port: int = 5038
    rtp_start: int = 10000
    rtp_end: int = 10999
    trunk_peers: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses whose SIP calls are accepted without authentication (the trunk)",
    )
    ari_user: str = "switchboard"
    ami_user: str = "switchboard"
    ari_password: str | None = Field(None, description="Only for mode=external")
    ami_secret: str | None = Field(None, description="Only for mode=external")
    app: str = "switchboard"
    media_dir: Path | None = Field(
        None, description="mode=external: a folder this host and Asterisk share, for prompts"
    )
    media_dir_in_asterisk: str | None = Field(
        None, description="mode=external: the same folder's path on the Asterisk host"
    )
    recordings_dir: Path | None = Field(
        None, description="mode=external: Asterisk's recording folder, mounted on this host"
    )
    tone_country: Literal["fi", "se", "ua", "us"] = "fi"
    benchmark_baseline: bool = Field(
        False,
        description="Add dialplan-only numbers 9999X. (answer, beep, hang up) for benchmarks",
    )
    debian_mirror: str = "http://deb.debian.org/debian"
    debian_suite: str = "sid"

    @model_validator(mode="after")
    def _certificate_with_key(self) -> AsteriskSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("asterisk.tls_cert_file and asterisk.tls_key_file go together")
        return self


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080


class CallSettings(BaseModel):
    handler: Literal["flows", "greeting"] = Field(
        "flows", description="flows: IVR flows by dialled number; greeting: play and hang up"
    )
    greeting: list[str] = Field(
        default_factory=lambda: ["sound:hello-world"],
        description="Media played to a caller by the greeting handler",
    )
    default_region: str = Field(
        "FI", description="ISO country used to read national caller numbers as E.164"
    )
    max_concurrent: int = Field(
        500,
        ge=1,
        description="Calls one controller serves at once; more are handed back to the "
        "dialplan's apology instead of slowing every call down",
    )
    callback_dial: str = Field(
        "",
        description="How the ACD dials numbers outside, with {number}, e.g. "
        "'PJSIP/trunk/sip:{number}@carrier.example:5060': callbacks in queues, agents' "
        "click-to-call and transfers to numbers (empty: none of these)",
    )


class IvrSettings(BaseModel):
    flows_dir: Path | None = Field(
        None, description="Folder of IVR flow files (default: the ivr_flows/ shipped)"
    )
    reload_interval: float = Field(2.0, description="Seconds between checks for edited flows")
    queue_hold_seconds: float = Field(
        1800, description="Longest hold on music for a queue before the caller is let go"
    )


class SpeechSettings(BaseModel):
    models: dict[str, Path] = Field(
        default_factory=dict,
        description="Vosk model folder per language, e.g. {fi = '/opt/vosk/fi'}",
    )


class TicketSettings(BaseModel):
    attachment_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="Largest file accepted on a ticket, in bytes"
    )
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "text/plain",
            "text/csv",
            "audio/wav",
            "audio/mpeg",
            "audio/ogg",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
        ],
        description="Content types accepted as attachments (told by the file's extension)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHBOARD_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    state_dir: Path = Field(default_factory=lambda: _xdg("XDG_STATE_HOME", ".local/state"))
    cache_dir: Path = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache"))
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "SWITCHBOARD_DATABASE_URL")
    )
    bus_url: str | None = Field(
        None,
        description="Redis URL of the event bus shared by several processes "
        "(redis://127.0.0.1:6379/0); unset: events stay inside one process",
    )
    log_level: str = "INFO"
    timezone: str = Field("Europe/Helsinki", description="The organisation's local time zone")
    asterisk: AsteriskSettings = Field(default_factory=AsteriskSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    calls: CallSettings = Field(default_factory=CallSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    ivr: IvrSettings = Field(default_factory=IvrSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)

    @field_validator("state_dir", "cache_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL with an async driver; SQLite under the state dir by default."""
        url = self.database_url or f"sqlite:///{self.state_dir / 'switchboard.db'}"
        return async_database_url(url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = config_file_path()
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


def config_file_path() -> Path | None:
    explicit = os.environ.get("SWITCHBOARD_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"SWITCHBOARD_CONFIG points to {path}, which does not exist")
        return path
    local = Path("switchboard.toml")
    return local if local.is_file() else None


def async_database_url(url: str) -> str:
    """Map plain URLs onto the async drivers Switchboard uses (aiosqlite, asyncpg)."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
