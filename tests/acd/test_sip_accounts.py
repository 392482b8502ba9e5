"""Agents' PJSIP accounts as rendered (the real reload is in test_provisioning)."""

from __future__ import annotations

import hashlib

from pbx.acd.models import Agent
from pbx.acd.sip_accounts import REALM, digest_hash, new_password, render_agents


def test_only_the_digest_hash_is_rendered_and_names_are_sanitised() -> None:
    password = new_password()
    agent = Agent(extension="1001", name='Aino "<x>" Agent', sip_md5=digest_hash("1001", password))
    text = render_agents([agent])
    expected = hashlib.md5(f"1001:{REALM}:{password}".encode()).hexdigest()
    assert f"md5_cred = {expected}" in text
    assert password not in text
    assert 'callerid = "Aino x Agent" <1001>' in text
    for line in ("direct_media = no", "max_contacts = 1", "remove_existing = yes"):
        assert line in text


def test_no_agents_renders_an_empty_include() -> None:
    text = render_agents([])
    assert "type = endpoint" not in text
