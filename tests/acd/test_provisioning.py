"""Provisioning agents through the CLI against the session's real Asterisk: each gets a
PJSIP endpoint with digest auth, applied by an AMI reload without a restart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acd.sipp_agent import SippAgent
from tests.harness import Deployment, wait_until


def _password(output: str) -> str:
    found = re.search(r"password (\S+) \(shown once\)", output)
    assert found, output
    return found.group(1)


def _contacts(deployment: Deployment) -> str:
    return deployment.asterisk("pjsip show contacts")


@pytest.fixture
def cleanup(deployment: Deployment) -> Iterator[list[str]]:
    """Extensions to remove after the test, so the session's Asterisk ends as it began."""
    extensions: list[str] = []
    yield extensions
    for extension in extensions:
        deployment.cli("agent", "remove", extension)


def _up_seconds(uptime: str) -> int:
    """Seconds since Asterisk started (``System uptime``; not ``Last reload``)."""
    found = re.search(r"System uptime:\s*(\d+)", uptime)
    assert found, uptime
    return int(found.group(1))


def test_an_added_agent_registers_with_its_generated_password(
    deployment: Deployment, tmp_path: Path, cleanup: list[str]
) -> None:
    uptime = deployment.asterisk("core show uptime seconds")
    added = deployment.cli("agent", "add", "2101", "--name", "Aino Agent", "--skill", "fi=8")
    assert added.returncode == 0, added.stderr
    cleanup.append("2101")
    password = _password(added.stdout)
    assert "PJSIP reloaded with 1 agent(s)" in added.stdout

    endpoint = deployment.asterisk("pjsip show endpoint 2101")
    assert re.search(r"direct_media\s*:\s*false", endpoint), endpoint
    aor = deployment.asterisk("pjsip show aor 2101")
    assert re.search(r"max_contacts\s*:\s*1", aor), aor
    assert re.search(r"remove_existing\s*:\s*true", aor), aor

    phone = SippAgent(deployment, tmp_path, "2101", password)
    try:
        wait_until(
            lambda: re.search(
                r"2101/sip:2101@127\.0\.0\.2:\d+\S*\s+\S+\s+Avail", _contacts(deployment)
            ),
            timeout=20,
            what="the agent's phone to register and answer OPTIONS",
        )
    finally:
        phone.stop()
    # applied by a reload: Asterisk was not restarted
    assert _up_seconds(deployment.asterisk("core show uptime seconds")) >= _up_seconds(uptime)

    listed = deployment.cli("agent", "list")
    assert "2101\tAino Agent\tskills fi=8\tqueues -" in listed.stdout
    assert password not in listed.stdout


def test_a_wrong_password_is_refused(
    deployment: Deployment, tmp_path: Path, cleanup: list[str]
) -> None:
    added = deployment.cli("agent", "add", "2102", "--name", "Bo")
    assert added.returncode == 0, added.stderr
    cleanup.append("2102")
    phone = SippAgent(deployment, tmp_path, "2102", "not-the-password")
    try:
        assert wait_until(lambda: phone.exited() is not None, timeout=20, what="SIPp to give up")
        assert phone.exited() != 0
        assert "2102/sip" not in _contacts(deployment)
    finally:
        phone.stop()


def test_bad_input_is_rejected_clearly(deployment: Deployment, cleanup: list[str]) -> None:
    assert deployment.cli("agent", "add", "2103", "--name", "Cai").returncode == 0
    cleanup.append("2103")
    duplicate = deployment.cli("agent", "add", "2103", "--name", "Other")
    assert duplicate.returncode == 2
    assert "extension 2103 already belongs to an agent" in duplicate.stderr
    unknown = deployment.cli("agent", "remove", "2999")
    assert unknown.returncode == 2
    assert "no agent has extension 2999" in unknown.stderr
    no_queue = deployment.cli("agent", "set", "2103", "--queue", "nowhere")
    assert no_queue.returncode == 2
    assert "no queue is named 'nowhere'" in no_queue.stderr
    bad = deployment.cli("agent", "add", "x1", "--name", "Bad")
    assert bad.returncode == 2
    assert "use 2 to 8 digits" in bad.stderr


def test_removing_an_agent_removes_its_endpoint(deployment: Deployment) -> None:
    assert deployment.cli("agent", "add", "2104", "--name", "Dan").returncode == 0
    assert "2104" in deployment.asterisk("pjsip show endpoints")
    removed = deployment.cli("agent", "remove", "2104")
    assert removed.returncode == 0, removed.stderr
    assert "2104" not in deployment.asterisk("pjsip show endpoints")


def test_queues_are_added_listed_and_guarded(deployment: Deployment, cleanup: list[str]) -> None:
    no_room = deployment.cli("queue", "add", "billing", "--max-callers", "0")
    assert no_room.returncode == 2
    assert "a queue's length limit is at least 1 caller" in no_room.stderr
    added = deployment.cli(
        "queue", "add", "billing", "--priority", "5", "--skill", "billing=3", "--wrapup", "2",
        "--max-callers", "20", "--leave-when-empty",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "\tat most 20 waiting\tleft when empty" in added.stdout
    try:
        assert deployment.cli("queue", "add", "billing").returncode == 2
        agent = deployment.cli("agent", "add", "2105", "--name", "Eve", "--queue", "billing")
        assert agent.returncode == 0, agent.stderr
        cleanup.append("2105")
        busy = deployment.cli("queue", "remove", "billing")
        assert busy.returncode == 2
        assert "served by agents 2105" in busy.stderr
        assert "billing\tpriority 5\tskills billing>=3" in deployment.cli("queue", "list").stdout
    finally:
        deployment.cli("agent", "remove", "2105")
        deployment.cli("queue", "remove", "billing")


def test_teams_are_added_joined_listed_and_guarded(
    deployment: Deployment, cleanup: list[str]
) -> None:
    added = deployment.cli("team", "add", "north", "--description", "Northern area")
    assert added.returncode == 0, added.stderr
    try:
        assert deployment.cli("team", "add", "north").returncode == 2
        no_team = deployment.cli("agent", "add", "2106", "--name", "Fay", "--team", "south")
        assert no_team.returncode == 2
        assert "no team is named 'south'" in no_team.stderr
        joined = deployment.cli("agent", "add", "2106", "--name", "Fay", "--team", "north")
        assert joined.returncode == 0, joined.stderr
        cleanup.append("2106")
        assert "north\tNorthern area\tagents 2106" in deployment.cli("team", "list").stdout
        busy = deployment.cli("team", "remove", "north")
        assert busy.returncode == 2
        assert "team 'north' has agents 2106" in busy.stderr
        left = deployment.cli("agent", "set", "2106", "--team", "")
        assert left.returncode == 0, left.stderr
        assert "team -" in left.stdout
    finally:
        deployment.cli("agent", "remove", "2106")
        removed = deployment.cli("team", "remove", "north")
    assert removed.returncode == 0, removed.stderr
    assert "north" not in deployment.cli("team", "list").stdout


def test_agents_are_imported_all_or_nothing(
    deployment: Deployment, tmp_path: Path, cleanup: list[str]
) -> None:
    assert deployment.cli("queue", "add", "imports").returncode == 0
    try:
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "extension,name,skills,queues,webrtc\n"
            "2201,Gus,fi=8;sv=3,imports,no\n"
            "2202,,fi=11,imports,maybe\n"
            "2201,Hal,,nowhere,\n"
        )
        refused = deployment.cli("agent", "import", str(bad))
        assert refused.returncode == 2
        for expected in (
            "line 3, name: is empty",
            "line 3, skills: 'fi=11': level is not 1-10",
            "line 3, webrtc: 'maybe' is not yes or no",
            "line 4, extension: 2201 is also on line 2",
            "line 4, queues: no queue is named 'nowhere'",
            "no agent was added",
        ):
            assert expected in refused.stderr, refused.stderr
        assert "2201" not in deployment.cli("agent", "list").stdout

        good = tmp_path / "good.csv"
        good.write_text(
            "extension,name,skills,queues\n2201,Gus,fi=8;sv=3,imports\n2202,Ida,,imports\n"
        )
        imported = deployment.cli("agent", "import", str(good))
        assert imported.returncode == 0, imported.stderr
        cleanup.extend(["2201", "2202"])
        assert "2 agent(s) imported" in imported.stdout
        assert len(re.findall(r"password \S+ \(shown once\)", imported.stdout)) == 2
        listed = deployment.cli("agent", "list").stdout
        assert "2201\tGus\tskills fi=8,sv=3\tqueues imports" in listed
        assert "2202" in deployment.asterisk("pjsip show endpoints")

        again = deployment.cli("agent", "import", str(good))
        assert again.returncode == 2
        assert "line 2, extension: 2201 is already an agent" in again.stderr
    finally:
        for extension in ("2201", "2202"):
            deployment.cli("agent", "remove", extension)
        deployment.cli("queue", "remove", "imports")


def test_a_webrtc_agent_gets_a_dtls_srtp_websocket_endpoint(
    deployment: Deployment, cleanup: list[str]
) -> None:
    added = deployment.cli("agent", "add", "2301", "--name", "Web Agent", "--webrtc")
    assert added.returncode == 0, added.stderr
    cleanup.append("2301")
    assert "PJSIP reloaded" in added.stdout
    endpoint = deployment.asterisk("pjsip show endpoint 2301")
    on = r"\s*:\s*(?i:true|yes)\b"
    for setting in (
        r"webrtc" + on,
        r"transport\s*:\s*transport-ws",
        r"media_encryption\s*:\s*dtls",
        r"dtls_auto_generate_cert" + on,
        r"ice_support" + on,
        r"use_avpf" + on,
        r"allow\s*:\s*\((opus\|ulaw|ulaw\|opus)\)",
    ):
        assert re.search(setting, endpoint), (setting, endpoint[-3000:])
    assert "webrtc" in deployment.cli("agent", "list").stdout
    # browsers' audio can flow: ICE is on and opus is translated to the trunk's G.711
    rtp = deployment.asterisk("rtp show settings")
    assert re.search(r"ICE support:\s*(?i:yes|true)", rtp), rtp
    paths = deployment.asterisk("core show translation paths opus")
    assert re.search(r"To ulaw\S*\s*:\s*\(opus\S*->\S*ulaw", paths), paths
    # back to a desk phone: the same account on UDP with G.711
    plain = deployment.cli("agent", "set", "2301", "--no-webrtc")
    assert plain.returncode == 0, plain.stderr
    endpoint = deployment.asterisk("pjsip show endpoint 2301")
    assert re.search(r"transport\s*:\s*transport-udp", endpoint), endpoint
    assert re.search(r"webrtc\s*:\s*(?i:false|no)\b", endpoint), endpoint
