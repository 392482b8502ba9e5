"""AMI against the real instance: what ARI lacks (PJSIP state, reloads)."""

from __future__ import annotations

import pytest

from pbx.ami import AmiAuthError, AmiClient
from tests.harness import Deployment


async def test_ami_lists_the_trunk_and_reloads_pjsip(deployment: Deployment) -> None:
    ami = AmiClient(
        "127.0.0.1", deployment.ami_port, "switchboard", deployment.secrets()["ami_secret"]
    )
    await ami.connect()
    try:
        endpoints = await ami.pjsip_endpoints()
        assert [e["ObjectName"] for e in endpoints] == ["trunk"]
        await ami.reload("res_pjsip.so")
        assert [e["ObjectName"] for e in await ami.pjsip_endpoints()] == ["trunk"]
    finally:
        ami.close()


async def test_ami_rejects_a_wrong_secret_clearly(deployment: Deployment) -> None:
    ami = AmiClient("127.0.0.1", deployment.ami_port, "switchboard", "wrong")
    with pytest.raises(AmiAuthError, match="rejected user 'switchboard'"):
        await ami.connect()
