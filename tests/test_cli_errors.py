"""Bad configuration gets a clear, specific message and a non-zero exit, never a hang."""

from __future__ import annotations

import json
import socket

from tests.harness import Deployment, Sipp, free_port


def test_wrong_ari_password_is_reported_not_retried(deployment: Deployment) -> None:
    result = deployment.cli(
        "controller",
        timeout=60,
        SWITCHBOARD_ASTERISK__ARI_PASSWORD="not-the-password",
        SWITCHBOARD_ASTERISK__AMI_SECRET=deployment.secrets()["ami_secret"],
    )
    assert result.returncode == 2
    assert "rejected ARI user 'switchboard'" in result.stderr


def test_wrong_ami_secret_is_reported(deployment: Deployment) -> None:
    result = deployment.cli(
        "controller",
        timeout=60,
        SWITCHBOARD_ASTERISK__ARI_PASSWORD=deployment.secrets()["ari_password"],
        SWITCHBOARD_ASTERISK__AMI_SECRET="not-the-secret",
    )
    assert result.returncode == 2
    assert "rejected user 'switchboard'" in result.stderr


def test_unreachable_database_is_reported(deployment: Deployment) -> None:
    result = deployment.cli(
        "db", "upgrade", DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none"
    )
    assert result.returncode == 2
    assert "cannot connect to database postgresql+asyncpg://nobody:***@127.0.0.1:1/none" in (
        result.stderr
    )
    assert "secret" not in result.stderr.replace("***", "")


def test_unsupported_database_url_is_reported(deployment: Deployment) -> None:
    result = deployment.cli("db", "upgrade", DATABASE_URL="mysql://root@127.0.0.1/x")
    assert result.returncode == 2
    assert "unsupported database URL mysql://root@127.0.0.1/x" in result.stderr


def test_sip_port_in_use_is_named(deployment: Deployment) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        port = squatter.getsockname()[1]
        result = deployment.cli(
            "pbx",
            "start",
            SWITCHBOARD_ASTERISK__INSTANCE="port-clash",
            SWITCHBOARD_ASTERISK__SIP_PORT=str(port),
            SWITCHBOARD_ASTERISK__HTTP_PORT=str(free_port()),
            SWITCHBOARD_ASTERISK__AMI_PORT=str(free_port()),
        )
    assert result.returncode == 2
    assert f"port {port} (SIP (udp)) on 127.0.0.1 is already in use" in result.stderr


def test_web_port_in_use_is_named(deployment: Deployment) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = deployment.cli("web", timeout=60, SWITCHBOARD_WEB__PORT=str(port))
    assert result.returncode == 2
    assert f"port {port} (web) on 127.0.0.1 is already in use" in result.stderr


def test_missing_system_asterisk_says_how_to_get_one(deployment: Deployment) -> None:
    result = deployment.cli(
        "pbx", "status", SWITCHBOARD_ASTERISK__MODE="system", PATH="/nonexistent"
    )
    assert result.returncode == 2
    assert "no Asterisk 20+ is on PATH" in result.stderr
    assert "apt-get install asterisk" in result.stderr


def test_config_show_masks_every_secret(deployment: Deployment) -> None:
    result = deployment.cli("config", "show")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["asterisk"]["sip_port"] == deployment.sip_port
    for secret in deployment.secrets().values():
        assert secret not in result.stdout
    assert shown["secrets"]["api_token"].endswith("(32 chars)")


def test_only_the_trunk_may_call_without_authentication(deployment: Deployment, sipp: Sipp) -> None:
    # 127.0.0.2 is loopback too, but it is not the configured trunk peer.
    result = sipp.run(
        "unidentified.xml",
        callers=[("+358409999999", "Stranger")],
        dialled="0800900900",
        calls=1,
        source_ip="127.0.0.2",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert deployment.active_channels() == 0
