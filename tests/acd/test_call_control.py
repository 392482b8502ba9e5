"""The agent API against real calls: agents' states, hold (the caller leaves the bridge
for music), mute, hang up and a blind transfer to another queue, answered by SIPp agent
phones; who may act on whom; and what the queue log says."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acd.acd_setup import agent_states, finished, phones, provision, queue_log
from tests.acd.outside_phone import outside_phone
from tests.harness import (
    ROOT,
    Deployment,
    Sipp,
    SwitchboardProcess,
    free_port,
    running,
    wait_until,
)
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

FLOWS = ROOT / "tests" / "acd" / "flows_control"
QUEUES: dict[str, dict[str, Any]] = {
    "ctl": {"wrapup_seconds": 1, "no_answer_seconds": 10},
    "ctl_next": {"wrapup_seconds": 1, "no_answer_seconds": 10, "caller_id": "+358201234567"},
    "ctl_rec": {"wrapup_seconds": 1, "no_answer_seconds": 10},  # recorded (set by the CLI)
}
AGENTS: dict[str, dict[str, Any]] = {
    "3601": {"queues": ["ctl", "ctl_rec"]},
    "3602": {"queues": ["ctl_next"]},
    "3603": {"queues": []},
}  # 3603: a supervisor's phone
DIALLED = "711"  # routes.yaml: straight into the queue "ctl"
OUTSIDE = free_port(socket.SOCK_DGRAM)  # the phone of a number outside


@pytest.fixture(scope="module")
def passwords(deployment: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(deployment, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(deployment, QUEUES, AGENTS, remove=True))


@pytest.fixture(scope="module")
def acd(deployment: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    env = {
        "SWITCHBOARD_CALLS__HANDLER": "flows",
        "SWITCHBOARD_IVR__FLOWS_DIR": str(FLOWS),
        # numbers outside are reached through the trunk: here a SIPp phone on this port
        "SWITCHBOARD_CALLS__CALLBACK_DIAL": f"PJSIP/trunk/sip:{{number}}@127.0.0.1:{OUTSIDE}",
    }
    with running(deployment, **env) as process:
        yield process


@pytest.fixture(scope="module")
def agent_phones(
    deployment: Deployment,
    acd: SwitchboardProcess,
    passwords: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Every agent's phone, registered (so logged in and ready) for the whole module."""
    workdir = tmp_path_factory.mktemp("phones")
    started = phones(deployment, workdir, passwords, *((ext, True) for ext in AGENTS))
    try:
        yield
    finally:
        for phone in started:
            phone.stop()


def _client(deployment: Deployment, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{deployment.web_port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


@pytest.fixture(scope="module")
def tokens(deployment: Deployment, acd: SwitchboardProcess) -> dict[str, str]:
    """An API token per agent, acting as the web user linked to that agent."""
    found: dict[str, str] = {}
    with deployment.api() as api:
        for extension in AGENTS:
            user = api.post(
                "/api/users",
                json={
                    "email": f"agent{extension}@example.org",
                    "name": f"Person {extension}",
                    "role": "supervisor" if extension == "3603" else "agent",
                },
            )
            assert user.status_code == 201, user.text
            user_id = user.json()["id"]
            linked = api.put(f"/api/agents/{extension}/user", json={"user_id": user_id})
            assert linked.status_code == 200, linked.text
            assert linked.json()["user_id"] == user_id
            token = api.post("/api/tokens", json={"user_id": user_id, "name": "desk"})
            assert token.status_code == 201, token.text
            found[extension] = token.json()["token"]
    return found


def _agent(deployment: Deployment, extension: str) -> dict[str, Any]:
    with deployment.api() as api:
        response = api.get(f"/api/agents/{extension}")
    assert response.status_code == 200, response.text
    agent: dict[str, Any] = response.json()
    return agent


def _ari(deployment: Deployment, path: str) -> Any:
    """What Asterisk itself reports over ARI (bridges, channels)."""
    password = deployment.secrets()["ari_password"]
    with httpx.Client(
        base_url=f"http://127.0.0.1:{deployment.http_port}/ari",
        auth=("switchboard", password),
        timeout=10,
    ) as ari:
        return ari.get(path).json()


def _bridged_channels(deployment: Deployment, caller_channel: str) -> list[list[str]]:
    """The channel lists of Asterisk's bridges."""
    return [bridge["channels"] for bridge in _ari(deployment, "/bridges")]


def _caller_waits_for_bye(sipp: Sipp, tmp_path: Path, number: str) -> Any:
    scenario = Caller(tmp_path).await_hangup(tmp_path / f"caller-{number}.xml", timeout=60)
    return sipp.start(str(scenario), callers=[(number, "Caller")], dialled=DIALLED, calls=1)


def _answered_by_3601(
    deployment: Deployment, sipp: Sipp, tmp_path: Path, number: str
) -> tuple[Any, str]:
    """A caller who stays until hung up on, answered by agent 3601: (SIPp, channel id)."""
    caller = _caller_waits_for_bye(sipp, tmp_path, number)
    call = wait_until(
        lambda: _on_call(deployment, "3601"), timeout=20, what="agent 3601 on the call"
    )
    return caller, str(call["channel_id"])


def _until_completed(deployment: Deployment, channel: str, agent: str) -> None:
    wait_until(
        lambda: (
            ("completed", agent)
            in [(e.event, e.agent) for e in queue_log(deployment, contact_id=channel)]
        ),
        timeout=15,
        what=f"the call to complete with agent {agent}",
    )


def _on_call(deployment: Deployment, extension: str) -> dict[str, Any] | None:
    call = _agent(deployment, extension)["call"]
    return call if call else None


def test_an_agent_sets_their_state_and_others_cannot(
    deployment: Deployment,
    acd: SwitchboardProcess,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    with deployment.api() as api:
        listed = {a["extension"]: a for a in api.get("/api/agents").json()}
        missing = api.post("/api/agents/3999/ready")
    assert listed["3601"]["state"] == "ready"
    assert listed["3601"]["call"] is None
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no agent has extension 3999"
    with _client(deployment, tokens["3601"]) as me:
        paused = me.post("/api/agents/3601/not-ready", json={"reason": "lunch"})
        assert paused.status_code == 200, paused.text
        assert (paused.json()["state"], paused.json()["reason"]) == ("not_ready", "lunch")
        bad = me.post("/api/agents/3601/not-ready", json={"reason": "Lunch break!"})
        assert bad.status_code == 422
        assert me.post("/api/agents/3601/ready").json()["state"] == "ready"
        other = me.post("/api/agents/3602/not-ready", json={"reason": "lunch"})
        assert other.status_code == 403
        assert "only on your own agent" in other.json()["detail"]
        no_call = me.post("/api/agents/3601/call/hold")
        assert no_call.status_code == 409
        assert no_call.json()["detail"] == "agent 3601 has no call in progress"
        assert me.post("/api/agents/3601/logout").json()["state"] == "logged_out"
        assert me.post("/api/agents/3601/ready").json()["state"] == "ready"
    states = [
        (e.data["state"], e.data["reason"])
        for e in queue_log(deployment, event="agent_state", agent="3601")
    ]
    assert states[-5:] == [
        ("not_ready", "lunch"),
        ("ready", ""),
        ("logged_out", ""),
        ("not_ready", "logged_in"),
        ("ready", ""),
    ]


def test_hold_mute_and_hang_up_from_the_api(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120001")
    assert _agent(deployment, "3601")["call"]["caller_number"] == "0401120001"
    assert [channel in chans for chans in _bridged_channels(deployment, channel)] == [True]
    with _client(deployment, tokens["3601"]) as me:
        held = me.post("/api/agents/3601/call/hold")
        assert held.status_code == 200, held.text
        assert held.json()["call"]["held"] is True
        # the caller left the bridge (for music); the agent's leg is alone in it
        bridges = _bridged_channels(deployment, channel)
        assert len(bridges) == 1 and channel not in bridges[0] and len(bridges[0]) == 1
        again = me.post("/api/agents/3601/call/hold")
        assert again.status_code == 409
        assert again.json()["detail"] == "the caller is already on hold"
        resumed = me.post("/api/agents/3601/call/resume")
        assert resumed.json()["call"]["held"] is False
        bridges = _bridged_channels(deployment, channel)
        assert len(bridges) == 1 and channel in bridges[0] and len(bridges[0]) == 2
        assert me.post("/api/agents/3601/call/mute").json()["call"]["muted"] is True
        assert me.post("/api/agents/3601/call/unmute").json()["call"]["muted"] is False
        with _client(deployment, tokens["3602"]) as stranger:
            assert stranger.post("/api/agents/3601/call/hangup").status_code == 403
        hung_up = me.post("/api/agents/3601/call/hangup")
        assert hung_up.status_code == 200, hung_up.text
    finished(caller)  # the caller got the BYE
    wait_until(
        lambda: any(e.event == "completed" for e in queue_log(deployment, contact_id=channel)),
        timeout=15,
        what="the call to complete",
    )
    assert [e.event for e in queue_log(deployment, contact_id=channel)] == [
        "entered",
        "offered",
        "answered",
        "held",
        "resumed",
        "muted",
        "unmuted",
        "agent_hangup",
        "completed",
    ]
    wait_until(
        lambda: agent_states(deployment, "3601")[-1:] == ["ready"],
        timeout=10,
        what="wrap-up to end",
    )
    assert _agent(deployment, "3601")["call"] is None


def test_an_agent_added_during_a_call_leaves_it_up_and_logs_in_only_from_a_registered_phone(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120009")
    added = deployment.cli("agent", "add", "3609", "--name", "Late Joiner")
    try:
        assert added.returncode == 0, added.stderr
        assert "PJSIP reloaded" in added.stdout
        # The reload changed nothing for the call in progress: both legs are still bridged.
        assert [channel in chans for chans in _bridged_channels(deployment, channel)] == [True]
        assert _on_call(deployment, "3601") is not None
        # Logging in from the desk without a registered phone is refused.
        with deployment.api() as api:
            refused = api.post("/api/agents/3609/ready")
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            "agent 3609's phone is not registered: register SIP account 3609 on a phone"
            " or the softphone, then log in"
        )
        assert _agent(deployment, "3609")["state"] == "logged_out"
        # Its phone registers with the password just generated: logged in and ready.
        password = re.search(r"password (\S+) \(shown once\)", added.stdout)
        assert password is not None
        [phone] = phones(deployment, tmp_path, {"3609": password.group(1)}, ("3609", True))
        phone.stop()
        wait_until(
            lambda: _agent(deployment, "3609")["state"] == "logged_out",
            timeout=20,
            what="agent 3609 logged out with their phone gone",
        )
        with _client(deployment, tokens["3601"]) as me:
            assert me.post("/api/agents/3601/call/hangup").status_code == 200
        finished(caller)
        _until_completed(deployment, channel, "3601")
    finally:
        deployment.cli("agent", "remove", "3609")


def test_a_blind_transfer_to_a_queue_reaches_an_agent_there(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120002")
    with _client(deployment, tokens["3601"]) as me:
        nowhere = me.post("/api/agents/3601/call/transfer-to-queue", json={"queue": "nowhere"})
        assert nowhere.status_code == 422
        assert nowhere.json()["detail"] == "no queue is named 'nowhere'"
        moved = me.post("/api/agents/3601/call/transfer-to-queue", json={"queue": "ctl_next"})
        assert moved.status_code == 200, moved.text
    taken = wait_until(
        lambda: _on_call(deployment, "3602"), timeout=20, what="agent 3602 on the call"
    )
    assert taken["channel_id"] == channel and taken["queue"] == "ctl_next"
    assert _agent(deployment, "3601")["call"] is None
    with _client(deployment, tokens["3602"]) as them:
        assert them.post("/api/agents/3602/call/hangup").status_code == 200
    finished(caller)
    _until_completed(deployment, channel, "3602")
    log = [(e.queue, e.event, e.agent) for e in queue_log(deployment, contact_id=channel)]
    assert log == [
        ("ctl", "entered", ""),
        ("ctl", "offered", "3601"),
        ("ctl", "answered", "3601"),
        ("ctl", "transferred", "3601"),
        ("ctl", "completed", "3601"),
        ("ctl_next", "entered", ""),
        ("ctl_next", "offered", "3602"),
        ("ctl_next", "answered", "3602"),
        ("ctl_next", "agent_hangup", "3602"),
        ("ctl_next", "completed", "3602"),
    ]
    transferred = queue_log(deployment, contact_id=channel, event="transferred")[0]
    assert transferred.data == {"kind": "queue", "target": "ctl_next"}


def test_a_blind_transfer_to_a_named_agent_rings_only_them(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120009")
    with _client(deployment, tokens["3601"]) as me:
        unknown = me.post("/api/agents/3601/call/transfer-to-agent", json={"extension": "3999"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"] == "no agent has extension 3999"
        myself = me.post("/api/agents/3601/call/transfer-to-agent", json={"extension": "3601"})
        assert myself.status_code == 422
        assert myself.json()["detail"] == "an agent cannot transfer a call to themselves"
        # 3603 serves no queue at all: a named transfer reaches them all the same
        moved = me.post("/api/agents/3601/call/transfer-to-agent", json={"extension": "3603"})
        assert moved.status_code == 200, moved.text
    taken = wait_until(
        lambda: _on_call(deployment, "3603"), timeout=20, what="agent 3603 on the call"
    )
    assert taken["channel_id"] == channel and taken["queue"] == "ctl"
    assert _agent(deployment, "3601")["call"] is None
    with _client(deployment, tokens["3603"]) as them:
        assert them.post("/api/agents/3603/call/hangup").status_code == 200
    finished(caller)
    _until_completed(deployment, channel, "3603")
    log = [(e.event, e.agent) for e in queue_log(deployment, contact_id=channel)]
    assert log == [
        ("entered", ""),
        ("offered", "3601"),
        ("answered", "3601"),
        ("transferred", "3601"),
        ("completed", "3601"),
        ("entered", ""),
        ("offered", "3603"),
        ("answered", "3603"),
        ("agent_hangup", "3603"),
        ("completed", "3603"),
    ]
    (transferred,) = queue_log(deployment, contact_id=channel, event="transferred")
    assert transferred.data == {"kind": "agent", "target": "3603"}


def test_a_supervisor_listens_through_a_snoop_and_then_barges_in(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120003")
    with _client(deployment, tokens["3601"]) as agent:
        refused = agent.post("/api/agents/3601/call/listen", json={})
        assert refused.status_code == 403
    with _client(deployment, tokens["3603"]) as lead:
        listening = lead.post("/api/agents/3601/call/listen", json={})  # rings their own phone
        assert listening.status_code == 200, listening.text
        itself = lead.post("/api/agents/3601/call/listen", json={"extension": "3601"})
        assert itself.status_code == 422

    def snooped() -> list[list[str]] | None:
        """The supervisor's phone bridged with a snoop channel (Asterisk's Snoop/...)."""
        snoops = {c["id"] for c in _ari(deployment, "/channels") if c["name"].startswith("Snoop/")}
        pairs = [
            chans
            for chans in _bridged_channels(deployment, channel)
            if len(chans) == 2 and snoops & set(chans) and any("-sv-" in c for c in chans)
        ]
        return pairs or None

    wait_until(snooped, timeout=20, what="the supervisor to hear the call through a snoop")
    main = [chans for chans in _bridged_channels(deployment, channel) if channel in chans]
    assert len(main[0]) == 2  # listening: the caller and the agent alone in their bridge
    with _client(deployment, tokens["3603"]) as lead:
        whispering = lead.post("/api/agents/3601/call/whisper", json={"extension": "3603"})
        assert whispering.status_code == 200, whispering.text
    wait_until(
        lambda: len(snooped() or []) == 2,
        timeout=20,
        what="a second snoop: the supervisor whispering to the agent",
    )
    main = [chans for chans in _bridged_channels(deployment, channel) if channel in chans]
    assert len(main[0]) == 2  # whispering: the caller still hears the agent alone
    with _client(deployment, tokens["3603"]) as lead:
        barged = lead.post("/api/agents/3601/call/barge", json={"extension": "3603"})
        assert barged.status_code == 200, barged.text
    wait_until(
        lambda: any(
            channel in chans and len(chans) == 3 for chans in _bridged_channels(deployment, channel)
        ),
        timeout=20,
        what="the supervisor to join the call's bridge",
    )
    with _client(deployment, tokens["3601"]) as agent:
        assert agent.post("/api/agents/3601/call/hangup").status_code == 200
    finished(caller)
    wait_until(
        lambda: not _ari(deployment, "/channels"),
        timeout=15,
        what="every channel (supervisor legs and snoops too) to be gone",
    )
    supervised = queue_log(deployment, contact_id=channel, event="supervised")
    assert [e.data for e in supervised] == [
        {"supervisor": "3603", "mode": "listen"},
        {"supervisor": "3603", "mode": "whisper"},
        {"supervisor": "3603", "mode": "barge"},
    ]


def test_an_agent_adds_another_agent_and_a_number_to_a_conference(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    outside = outside_phone(tmp_path, OUTSIDE, answer=True)  # stays until the call ends
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120004")

    def parties(count: int) -> bool:
        return any(
            channel in chans and len(chans) == count
            for chans in _bridged_channels(deployment, channel)
        )

    with _client(deployment, tokens["3601"]) as me:
        myself = me.post("/api/agents/3601/call/conference", json={"extension": "3601"})
        assert myself.status_code == 422
        both = me.post(
            "/api/agents/3601/call/conference", json={"extension": "3602", "number": "0501"}
        )
        assert both.status_code == 422
        added = me.post("/api/agents/3601/call/conference", json={"extension": "3602"})
        assert added.status_code == 200, added.text
        wait_until(lambda: parties(3), timeout=20, what="agent 3602 to join the call's bridge")
        # in the conference, 3602 is busy: no caller is routed to them, and not added twice
        assert _agent(deployment, "3602")["state"] == "on_call"
        again = me.post("/api/agents/3601/call/conference", json={"extension": "3602"})
        assert again.status_code == 409
        assert again.json()["detail"] == "agent 3602 is on_call, not ready to join a conference"
        number = me.post("/api/agents/3601/call/conference", json={"number": "0509876500"})
        assert number.status_code == 200, number.text
        wait_until(lambda: parties(4), timeout=20, what="the number to join the conference")
        assert me.post("/api/agents/3601/call/hangup").status_code == 200
    finished(caller)
    finished(outside)  # the number got the BYE too
    wait_until(
        lambda: not _ari(deployment, "/channels"),
        timeout=15,
        what="every channel of the conference to be gone",
    )
    conferenced = queue_log(deployment, contact_id=channel, event="conferenced")
    assert [(e.agent, e.data) for e in conferenced] == [
        ("3601", {"target": "3602"}),
        ("3601", {"target": "0509876500", "kind": "number"}),
    ]
    wait_until(
        lambda: agent_states(deployment, "3602")[-3:] == ["on_call", "wrap_up", "ready"],
        timeout=15,
        what="agent 3602 to wrap up after the conference and be ready",
    )


def test_a_recorded_queue_files_the_conversation_on_the_calls_ticket_entry(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
) -> None:
    unknown = deployment.cli("queue", "set", "nope", "--record")
    assert unknown.returncode != 0 and "no queue is named 'nope'" in unknown.stderr
    recorded = deployment.cli("queue", "set", "ctl_rec", "--record")
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded" in recorded.stdout
    # the caller talks with the agent for four seconds, then hangs up
    scenario = Caller(tmp_path).wait(4).hang_up(tmp_path / "recorded.xml")
    caller = sipp.start(str(scenario), callers=[("0401120005", "Caller")], dialled="712", calls=1)
    finished(caller)

    def ticket() -> dict[str, Any] | None:
        with deployment.api() as api:
            items = api.get("/api/calls", params={"limit": 200}).json()["items"]
        done = [c for c in items if c["caller_number"] == "0401120005" and c["ticket_id"]]
        if not done:
            return None
        detail = deployment.ticket(done[0]["ticket_id"])
        return detail if detail["attachments"] else None

    detail = wait_until(ticket, timeout=60, what="the recording on the call's ticket")
    (entry,) = [e for e in detail["entries"] if e["kind"] == "call"]
    (audio,) = detail["attachments"]
    assert audio["entry_id"] == entry["id"]
    assert audio["content_type"] == "audio/wav"
    assert audio["size"] > 32000  # over two seconds of 8 kHz, 16-bit audio
    with deployment.api() as api:
        download = api.get(f"/api/attachments/{audio['id']}")
    assert download.status_code == 200 and download.content[:4] == b"RIFF"
    (started,) = [e for e in queue_log(deployment, queue="ctl_rec") if e.event == "recording"]
    assert started.agent == "3601" and started.data["recording"].endswith(".wav")


def _events_of(deployment: Deployment, channel: str) -> list[str]:
    return [e.event for e in queue_log(deployment, contact_id=channel)]


def test_a_blind_transfer_to_a_number_connects_the_caller_and_frees_the_agent(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    outside = outside_phone(tmp_path, OUTSIDE, answer=True, talk_ms=3000)
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120006")
    with _client(deployment, tokens["3601"]) as me:
        bad = me.post("/api/agents/3601/call/transfer", json={"number": "call me"})
        assert bad.status_code == 422
        moved = me.post("/api/agents/3601/call/transfer", json={"number": "0509876543"})
        assert moved.status_code == 200, moved.text
    wait_until(
        lambda: any(
            channel in chans and any("-tr-" in c for c in chans) and len(chans) == 2
            for chans in _bridged_channels(deployment, channel)
        ),
        timeout=20,
        what="the caller to talk with the number",
    )
    wait_until(lambda: _agent(deployment, "3601")["call"] is None, timeout=10, what="agent free")
    finished(outside)  # the number hung up after talking ...
    finished(caller)  # ... and the caller got the BYE
    wait_until(
        lambda: "completed" in _events_of(deployment, channel), timeout=15, what="completion"
    )
    assert _events_of(deployment, channel) == [
        "entered",
        "offered",
        "answered",
        "transferred",
        "completed",
    ]
    (moved_log,) = queue_log(deployment, contact_id=channel, event="transferred")
    assert moved_log.data == {"kind": "number", "target": "0509876543", "mode": "blind"}


def test_attended_transfers_fail_back_cancel_and_complete(
    deployment: Deployment,
    acd: SwitchboardProcess,
    sipp: Sipp,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    caller, channel = _answered_by_3601(deployment, sipp, tmp_path, "0401120007")

    def with_agent() -> bool:
        return any(
            channel in chans and len(chans) == 2 and not any("-tr-" in c for c in chans)
            for chans in _bridged_channels(deployment, channel)
        )

    def consulting() -> bool:
        bridges = _bridged_channels(deployment, channel)
        return not any(channel in chans for chans in bridges) and any(
            any("-tr-" in c for c in chans) and len(chans) == 2 for chans in bridges
        )

    attended = {"number": "0501112222", "attended": True}
    with _client(deployment, tokens["3601"]) as me:
        # a busy number: the caller comes back to the agent
        busy = outside_phone(tmp_path, OUTSIDE, answer=False)
        assert me.post("/api/agents/3601/call/transfer", json=attended).status_code == 200
        wait_until(
            lambda: "transfer_failed" in _events_of(deployment, channel),
            timeout=20,
            what="the busy number to fail the transfer",
        )
        finished(busy)
        wait_until(with_agent, timeout=10, what="the caller back with the agent")
        assert me.post("/api/agents/3601/call/transfer/complete").status_code == 409
        # the number answers, the agent talks with it (the caller on hold) and cancels
        answering = outside_phone(tmp_path, OUTSIDE, answer=True)
        assert me.post("/api/agents/3601/call/transfer", json=attended).status_code == 200
        wait_until(consulting, timeout=20, what="the agent to consult the number")
        again = me.post("/api/agents/3601/call/transfer", json=attended)
        assert again.status_code == 409
        assert me.post("/api/agents/3601/call/transfer/cancel").status_code == 200
        finished(answering)  # the number got the BYE
        wait_until(with_agent, timeout=10, what="the caller back with the agent")
        # and once more, completed: the caller talks with the number, the agent is free
        talking = outside_phone(tmp_path, OUTSIDE, answer=True, talk_ms=4000)
        assert me.post("/api/agents/3601/call/transfer", json=attended).status_code == 200
        wait_until(consulting, timeout=20, what="the agent to consult the number")
        done = me.post("/api/agents/3601/call/transfer/complete")
        assert done.status_code == 200, done.text
    wait_until(lambda: _agent(deployment, "3601")["call"] is None, timeout=10, what="agent free")
    finished(talking)
    finished(caller)
    wait_until(
        lambda: "completed" in _events_of(deployment, channel), timeout=15, what="completion"
    )
    assert _events_of(deployment, channel) == [
        "entered",
        "offered",
        "answered",
        "transfer_failed",
        "consulting",
        "transfer_cancelled",
        "consulting",
        "transferred",
        "completed",
    ]
    (moved,) = queue_log(deployment, contact_id=channel, event="transferred")
    assert moved.data == {"kind": "number", "target": "0501112222", "mode": "attended"}


def test_click_to_call_rings_the_agent_then_the_customer_and_files_the_call(
    deployment: Deployment,
    acd: SwitchboardProcess,
    tmp_path: Path,
    agent_phones: None,
    tokens: dict[str, str],
) -> None:
    number = "0509990001"
    with deployment.api() as api:
        opened = api.post("/api/tickets", json={"subject": "Meter reading disputed"})
        assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["id"]
    with _client(deployment, tokens["3602"]) as me:
        for body, detail in [
            ({"number": "call me"}, None),
            ({"number": number, "queue": "nowhere"}, "no queue is named 'nowhere'"),
            ({"number": number, "ticket_id": 99999999}, "no ticket has id 99999999"),
        ]:
            refused = me.post("/api/agents/3602/call/dial", json=body)
            assert refused.status_code == 422, refused.text
            assert detail is None or refused.json()["detail"] == detail
        other = me.post("/api/agents/3601/call/dial", json={"number": number})
        assert other.status_code == 403
        # the customer's phone fails the call unless it shows the queue's caller ID
        customer = outside_phone(
            tmp_path, OUTSIDE, answer=True, talk_ms=3000, shown="+358201234567"
        )
        dialled = me.post(
            "/api/agents/3602/call/dial", json={"number": number, "ticket_id": ticket_id}
        )
        assert dialled.status_code == 200, dialled.text
    finished(customer)  # it answered, talked three seconds and hung up

    def completed() -> Any:
        rows = queue_log(deployment, event="dial_out_completed", agent="3602")
        return rows[-1] if rows else None

    done = wait_until(completed, timeout=20, what="the call out to complete")
    assert done.data["number"] == number and done.data["outcome"] == "answered"
    assert done.data["talk_seconds"] >= 2.5
    assert [e.event for e in queue_log(deployment, contact_id=done.contact_id)] == [
        "dial_out_requested",
        "offered",
        "answered",
        "dial_out_completed",
    ]
    wait_until(
        lambda: _agent(deployment, "3602")["state"] == "ready", timeout=15, what="3602 ready"
    )

    def filed() -> Any:
        entries = deployment.ticket(ticket_id)["entries"]
        calls = [e for e in entries if e["kind"] == "call"]
        return calls[0] if calls else None

    entry = wait_until(filed, timeout=15, what="the call on the agent's ticket")
    assert entry["direction"] == "outbound"
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 50}).json()["items"]
    (record,) = [c for c in items if c["caller_number"] == number]
    assert record["direction"] == "outbound" and record["agent"] == "3602"
    assert record["disposition"] == "answered" and record["ticket_id"] == ticket_id

    # Not ready for callers, the agent still calls out; afterwards they are not ready
    # again with their reason, and no caller was offered to them meanwhile.
    with _client(deployment, tokens["3602"]) as me:
        paused = me.post("/api/agents/3602/not-ready", json={"reason": "outbound"})
        assert paused.json()["state"] == "not_ready"
        customer = outside_phone(
            tmp_path, OUTSIDE, answer=True, talk_ms=1000, shown="+358201234567"
        )
        again = me.post("/api/agents/3602/call/dial", json={"number": "0509990002"})
        assert again.status_code == 200, again.text
    finished(customer)
    second = wait_until(
        lambda: (c := completed()) and c.data["number"] == "0509990002" and c,
        timeout=20,
        what="the second call out to complete",
    )
    assert second.data["outcome"] == "answered"
    wait_until(
        lambda: agent_states(deployment, "3602")[-1:] == ["not_ready"],
        timeout=15,
        what="3602 not ready again after wrap-up",
    )
    back = _agent(deployment, "3602")
    assert (back["state"], back["reason"]) == ("not_ready", "outbound")
    with _client(deployment, tokens["3602"]) as me:
        assert me.post("/api/agents/3602/ready").json()["state"] == "ready"
