"""Rendering an instance's Asterisk configuration from the Jinja2 templates in asterisk_conf/."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pbx.asterisk.certificates import WssCertificate
from switchboard.resources import resource_dir
from switchboard.secrets import Secrets
from switchboard.settings import AsteriskSettings

MODULES = (
    # core plumbing
    "res_timing_timerfd.so",
    "res_sorcery_config.so",
    "res_sorcery_memory.so",
    "res_sorcery_astdb.so",
    "pbx_config.so",
    "func_channel.so",
    "func_callerid.so",
    # media
    "res_rtp_asterisk.so",
    "codec_ulaw.so",
    "codec_alaw.so",
    "codec_gsm.so",
    "codec_opus_open_source.so",  # WebRTC agents' phones (Debian's open-source opus codec)
    "res_format_attr_opus.so",
    "res_srtp.so",  # DTLS-SRTP for WebRTC agents' phones
    "codec_a_mu.so",
    "codec_resample.so",
    "format_gsm.so",
    "format_wav.so",
    "format_wav_gsm.so",
    "format_pcm.so",
    "format_sln.so",
    "app_playback.so",
    "res_musiconhold.so",
    "bridge_simple.so",
    "bridge_softmix.so",
    "bridge_holding.so",
    "bridge_native_rtp.so",
    "chan_bridge_media.so",
    # SIP
    "res_pjproject.so",
    "res_pjsip.so",
    "res_pjsip_session.so",
    "res_pjsip_pubsub.so",
    "chan_pjsip.so",
    "res_pjsip_sdp_rtp.so",
    "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_endpoint_identifier_user.so",
    "res_pjsip_authenticator_digest.so",
    "res_pjsip_outbound_authenticator_digest.so",
    "res_pjsip_registrar.so",
    "res_pjsip_nat.so",
    "res_pjsip_caller_id.so",
    "res_pjsip_rfc3326.so",
    "res_pjsip_dtmf_info.so",
    "res_pjsip_transport_websocket.so",
    "res_http_websocket.so",
    "res_websocket_client.so",
    # ARI and Stasis
    "res_stasis.so",
    "app_stasis.so",
    "res_stasis_answer.so",
    "res_stasis_playback.so",
    "res_stasis_recording.so",
    "res_stasis_snoop.so",
    "res_stasis_device_state.so",
    "res_ari.so",
    "res_ari_model.so",
    "res_ari_applications.so",
    "res_ari_asterisk.so",
    "res_ari_bridges.so",
    "res_ari_channels.so",
    "res_ari_endpoints.so",
    "res_ari_events.so",
    "res_ari_playbacks.so",
    "res_ari_recordings.so",
    "res_ari_sounds.so",
    "res_ari_device_states.so",
)


@dataclass(frozen=True)
class InstancePaths:
    """An instance's folders as Asterisk sees them."""

    base: PurePosixPath

    @property
    def etc(self) -> PurePosixPath:
        return self.base / "etc"

    @property
    def run(self) -> PurePosixPath:
        return self.base / "run"

    @property
    def log(self) -> PurePosixPath:
        return self.base / "log"

    @property
    def spool(self) -> PurePosixPath:
        return self.base / "spool"

    @property
    def lib(self) -> PurePosixPath:
        return self.base / "lib"

    @property
    def keys(self) -> PurePosixPath:
        return self.base / "keys"

    @property
    def recordings(self) -> PurePosixPath:
        return self.spool / "recording"

    @property
    def config_file(self) -> PurePosixPath:
        return self.etc / "asterisk.conf"

    def all(self) -> list[PurePosixPath]:
        return [
            self.etc,
            self.run,
            self.log,
            self.spool,
            self.lib,
            self.keys,
            self.recordings,
            self.recordings / "switchboard",
        ]


def render_context(
    settings: AsteriskSettings,
    secrets: Secrets,
    paths: InstancePaths,
    moh_dir: PurePosixPath,
) -> dict[str, Any]:
    return {
        "moh_dir": moh_dir,
        "node": settings.instance,
        "entity_id": _entity_id(settings.instance),
        "paths": paths,
        "modules": MODULES,
        "bind_address": settings.bind_address,
        "sip_port": settings.sip_port,
        "http_port": settings.http_port,
        "wss": None
        if settings.wss_port is None
        else WssCertificate(
            paths.keys, settings.bind_address, settings.tls_cert_file, settings.tls_key_file
        ),
        "wss_bind": _host_port(settings.bind_address, settings.wss_port),
        "ami_port": settings.ami_port,
        "ami_permit": ["127.0.0.1/255.255.255.255", "::1/128"]
        if settings.bind_address in ("127.0.0.1", "localhost", "::1")
        else ["0.0.0.0/0.0.0.0"],
        "rtp_start": settings.rtp_start,
        "rtp_end": settings.rtp_end,
        "trunk_peers": settings.trunk_peers,
        "app": settings.app,
        "ari_user": settings.ari_user,
        "ari_password": secrets.ari_password,
        "ami_user": settings.ami_user,
        "ami_secret": secrets.ami_secret,
        "allowed_origins": f"http://{settings.bind_address}:{settings.http_port}",
        "benchmark_baseline": settings.benchmark_baseline,
        "tone_country": settings.tone_country,
    }


def render_config(context: dict[str, Any], target: Path) -> list[Path]:
    """Write every template into ``target`` (host path of the instance's etc dir)."""
    templates = resource_dir("asterisk_conf")
    env = Environment(
        loader=FileSystemLoader(templates),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    wss = context.get("wss")
    if isinstance(wss, WssCertificate):  # first: a missing certificate changes nothing
        paths: InstancePaths = context["paths"]
        written.extend(wss.install(target.parent / paths.keys.relative_to(paths.base)))
    for template in sorted(templates.glob("*.conf.j2")):
        out = target / template.name.removesuffix(".j2")
        text = env.get_template(template.name).render(**context)
        tmp = out.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        tmp.replace(out)
        written.append(out)
    return written


def _host_port(address: str, port: int | None) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _entity_id(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return ":".join(f"{b:02x}" for b in digest[:6])
