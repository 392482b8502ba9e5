"""How Switchboard reaches its Asterisk: the ARI/AMI credentials and the managed instance.
Light on imports, so CLI commands that only talk to Asterisk start quickly."""

from __future__ import annotations

from dataclasses import dataclass

from pbx.asterisk.instance import AsteriskInstance
from pbx.asterisk.runtime import Progress, resolve_runtime
from switchboard.secrets import Secrets, load_or_create_secrets
from switchboard.settings import Settings


@dataclass(frozen=True)
class PbxCredentials:
    ari_password: str
    ami_secret: str


def pbx_credentials(settings: Settings, secrets: Secrets) -> PbxCredentials:
    """Generated secrets for an Asterisk Switchboard runs; configured ones for an external."""
    asterisk = settings.asterisk
    if asterisk.mode == "external":
        if not asterisk.ari_password or not asterisk.ami_secret:
            raise ValueError(
                "asterisk.mode=external needs SWITCHBOARD_ASTERISK__ARI_PASSWORD and "
                "SWITCHBOARD_ASTERISK__AMI_SECRET"
            )
        return PbxCredentials(asterisk.ari_password, asterisk.ami_secret)
    return PbxCredentials(
        asterisk.ari_password or secrets.ari_password, asterisk.ami_secret or secrets.ami_secret
    )


def asterisk_instance(settings: Settings, progress: Progress) -> AsteriskInstance:
    """The instance Switchboard manages, provisioning Asterisk when none is available."""
    asterisk = settings.asterisk
    runtime = resolve_runtime(
        asterisk.mode, settings.cache_dir, asterisk.debian_mirror, asterisk.debian_suite, progress
    )
    secrets = load_or_create_secrets(settings.state_dir)
    credentials = pbx_credentials(settings, secrets)
    effective = Secrets(
        ari_password=credentials.ari_password,
        ami_secret=credentials.ami_secret,
        api_token=secrets.api_token,
        session_key=secrets.session_key,
    )
    return AsteriskInstance(runtime, asterisk, effective)
