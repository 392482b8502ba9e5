"""An agent's browser softphone (/softphone in headless Chromium: SIP.js over a WebSocket,
audio over WebRTC) signs in, answers a queue call from a SIPp caller, exchanges audio with
them and hangs up; a wrong password is refused in words the agent understands.

These tests run a second Asterisk instance beside the session's, on the session's
database: one with the secure WebSocket (a self-signed certificate generated for it) and
its trunk at another loopback address. The session's trunk is identified by 127.0.0.1,
the address a browser on this host reaches Asterisk from, and PJSIP identifies by
address before user name."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from pbx.asterisk.certificates import CertificateError
from pbx.asterisk.config import InstancePaths, render_config, render_context
from switchboard.secrets import Secrets
from switchboard.settings import AsteriskSettings
from tests.acd.acd_setup import agent_states, finished, provision, queue_log
from tests.audio import wav_to_rtp_pcap
from tests.channels.browser import WEBRTC_FLAGS, Page, browser_page
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

FLOWS = ROOT / "tests" / "acd" / "flows_webrtc"
CALLER_IP = "127.0.0.3"  # the trunk's address in this instance
QUEUES: dict[str, dict[str, Any]] = {
    "webrtc_desk": {"wrapup_seconds": 2, "no_answer_seconds": 30},
}
AGENTS: dict[str, dict[str, Any]] = {
    "3801": {"queues": ["webrtc_desk"], "webrtc": True},
    "3802": {"queues": ["webrtc_desk"], "webrtc": True},
    "3803": {"queues": ["webrtc_desk"], "webrtc": True},
}
WSS_PORT_ENV = "SWITCHBOARD_ASTERISK__WSS_PORT"
# the certificate is self-signed: the browser is told to accept it, as an agent would once
BROWSER_FLAGS = [*WEBRTC_FLAGS, "--ignore-certificate-errors"]


@pytest.fixture(scope="module")
def pbx(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    own = Deployment(
        state_dir=tmp_path_factory.mktemp("webrtc-state"),
        database_url=deployment.database_url,
        instance=f"{deployment.instance}-webrtc",
        rtp_start=33000,
        extra_env={
            WSS_PORT_ENV: str(free_port()),
            "SWITCHBOARD_ASTERISK__TRUNK_PEERS": json.dumps([CALLER_IP]),
        },
    )
    started = own.cli("pbx", "start", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield own
    finally:
        stopped = own.cli("pbx", "stop")
        instance_dir = own.instance_dir()
        if stopped.returncode != 0 and instance_dir is not None:
            pid_file = instance_dir / "run" / "asterisk.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        if instance_dir is not None:
            shutil.rmtree(instance_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def passwords(pbx: Deployment) -> Iterator[dict[str, str]]:
    try:
        yield asyncio.run(provision(pbx, QUEUES, AGENTS))
    finally:
        asyncio.run(provision(pbx, QUEUES, AGENTS, remove=True))


@pytest.fixture(scope="module")
def acd(pbx: Deployment, passwords: dict[str, str]) -> Iterator[SwitchboardProcess]:
    env = {"SWITCHBOARD_CALLS__HANDLER": "flows", "SWITCHBOARD_IVR__FLOWS_DIR": str(FLOWS)}
    with running(pbx, **env) as process:
        yield process


@pytest.fixture
def no_channels(pbx: Deployment) -> Iterator[None]:
    pbx.asterisk("channel request hangup all")
    yield
    pbx.asterisk("channel request hangup all")


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thirty seconds of a caller's audio as RTP/PCMU (a 440 Hz tone)."""
    folder = tmp_path_factory.mktemp("webrtc-audio")
    wav = folder / "tone.wav"
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(wav), "synth", "30", "sine", "440"],
        check=True,
    )
    return wav_to_rtp_pcap(wav, folder / "tone.pcap")


@asynccontextmanager
async def softphone(pbx: Deployment, query: str = "") -> AsyncIterator[Page]:
    url = f"http://127.0.0.1:{pbx.web_port}/softphone{query}"
    async with browser_page(url, BROWSER_FLAGS) as page:
        await page.until("document.getElementById('state')?.dataset.state === 'signed_out'")
        yield page


async def sign_in(page: Page, extension: str, password: str) -> None:
    await page.js(
        f"document.getElementById('extension').value = {json.dumps(extension)};"
        f"document.getElementById('password').value = {json.dumps(password)};"
        "document.getElementById('register').click()"
    )


async def shown_state(page: Page, state: str, timeout: float = 30) -> None:
    await page.until(
        f"document.getElementById('state').dataset.state === {json.dumps(state)}", timeout
    )


async def text(page: Page, element: str) -> str:
    return str(await page.js(f"document.getElementById({json.dumps(element)}).textContent"))


async def logged_in(pbx: Deployment, extension: str) -> None:
    await asyncio.to_thread(
        wait_until,
        lambda: agent_states(pbx, extension)[-1:] == ["ready"],
        timeout=60,
        what=f"agent {extension} to be logged in and ready",
    )


async def audio_flows(page: Page, packets: int = 50, timeout: float = 30) -> dict[str, str]:
    """The page's own media line: DTLS connected, audio sent and received."""
    deadline = asyncio.get_running_loop().time() + timeout
    media: dict[str, str] = {}
    while asyncio.get_running_loop().time() < deadline:
        media = await page.js("({...document.getElementById('media').dataset})")
        sent, received = int(media.get("sent", 0)), int(media.get("received", 0))
        if media.get("dtls") == "connected" and sent > packets and received > packets:
            return media
        await asyncio.sleep(0.2)
    raise AssertionError(f"audio did not flow both ways within {timeout:.0f} s: {media}")


def sent_to_caller(pbx: Deployment) -> int:
    """RTP packets Asterisk has sent the caller (the trunk leg), by its channel stats."""
    for line in pbx.asterisk("pjsip show channelstats").splitlines():
        fields = line.split()
        channel = next((i for i, f in enumerate(fields) if f.startswith("trunk-")), None)
        if channel is not None:
            return int(fields[channel + 7])  # uptime, codec, 4 receive columns, then sent
    return 0


def call_record(pbx: Deployment, number: str) -> dict[str, Any] | None:
    with pbx.api() as api:
        items = api.get("/api/calls", params={"limit": 200}).json()["items"]
    done = [c for c in items if c["caller_number"] == number and c["ended_at"]]
    return done[0] if done else None


def test_the_page_offers_the_secure_websocket_in_four_languages(
    pbx: Deployment, acd: SwitchboardProcess
) -> None:
    wss_port = pbx.extra_env[WSS_PORT_ENV]
    with pbx.api() as api:
        page = api.get("/softphone")
        script = api.get("/softphone/assets/softphone.js")
        library = api.get("/softphone/assets/sip.min.js")
        missing = api.get("/softphone/assets/secrets.json")
    assert page.status_code == 200
    assert f'content="wss://127.0.0.1:{wss_port}/ws"' in page.text
    assert script.status_code == 200 and library.status_code == 200
    for sentence in (
        "Sign-in failed: wrong extension or password.",
        "Kirjautuminen epäonnistui: väärä alanumero tai salasana.",
        "Inloggningen misslyckades: fel anknytning eller lösenord.",
        "Не вдалося увійти: неправильний номер або пароль.",
    ):
        assert sentence in script.text
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no softphone file is named 'secrets.json'"}
    instance = pbx.instance_dir()
    assert instance is not None  # the generated key is readable by Asterisk's user only
    assert stat.S_IMODE((instance / "keys" / "wss-key.pem").stat().st_mode) == 0o600


async def test_a_wrong_password_is_refused_clearly_and_the_agent_stays_logged_out(
    pbx: Deployment, acd: SwitchboardProcess, passwords: dict[str, str]
) -> None:
    async with softphone(pbx, "?lang=fi") as page:
        assert await text(page, "register") == "Kirjaudu"
        await sign_in(page, "3802", passwords["3802"] + "x")
        await shown_state(page, "failed")
        assert await text(page, "state") == "Ei kirjautunut"
        assert await text(page, "alert") == (
            "Kirjautuminen epäonnistui: väärä alanumero tai salasana."
        )
        nowhere = f"ws://127.0.0.1:{free_port()}/ws"  # a server address with nothing there
        await page.js(f"document.getElementById('server').value = {json.dumps(nowhere)}")
        await sign_in(page, "3802", passwords["3802"])
        await page.until("document.getElementById('alert').textContent.includes('ei saada')")
        assert await text(page, "alert") == (
            f"Puhelinjärjestelmään ei saada yhteyttä osoitteessa {nowhere}"
        )
        assert await text(page, "state") == "Ei kirjautunut"
    assert await asyncio.to_thread(agent_states, pbx, "3802") == []
    assert not re.search(r"Contact:\s+3802/", pbx.asterisk("pjsip show contacts"))


async def test_the_browser_answers_a_queue_call_with_audio_both_ways_and_hangs_up(
    pbx: Deployment,
    acd: SwitchboardProcess,
    passwords: dict[str, str],
    tone: Path,
    tmp_path: Path,
    no_channels: None,
) -> None:
    wss_port = pbx.extra_env[WSS_PORT_ENV]
    async with softphone(pbx) as page:
        server = await page.js("document.getElementById('server').value")
        assert server == f"wss://127.0.0.1:{wss_port}/ws"
        await sign_in(page, "3801", passwords["3801"])
        await shown_state(page, "ready")
        assert await text(page, "state") == "Ready for calls"
        await logged_in(pbx, "3801")

        scenario = Caller(tmp_path).say(tone, 30).await_hangup(tmp_path / "caller.xml", 60)
        caller = Sipp(pbx, tmp_path).start(
            str(scenario),
            callers=[("0401380001", "Caller")],
            dialled="780",
            calls=1,
            source_ip=CALLER_IP,
        )
        try:
            await shown_state(page, "ringing")
            assert await text(page, "caller") == "Call from Caller <0401380001>"
            await page.js("document.getElementById('answer').click()")
            await shown_state(page, "in_call", timeout=15)
            media = await audio_flows(page)
            assert "Audio (encrypted)" in await text(page, "media"), media
            # what the browser's microphone sends reaches the caller through the bridge
            before = await asyncio.to_thread(sent_to_caller, pbx)
            await asyncio.to_thread(
                wait_until,
                lambda: sent_to_caller(pbx) > before + 50,
                timeout=15,
                what="Asterisk to pass the agent's audio on to the caller",
            )
            answered = await asyncio.to_thread(
                queue_log, pbx, queue="webrtc_desk", event="answered"
            )
            assert [e.agent for e in answered] == ["3801"]

            await page.js("document.getElementById('hangup').click()")
            await asyncio.to_thread(finished, caller)  # the caller received the BYE
        finally:
            if caller.poll() is None:
                caller.kill()
                caller.communicate()
        await shown_state(page, "ready", timeout=15)
        await asyncio.to_thread(
            wait_until,
            lambda: agent_states(pbx, "3801")[-3:] == ["on_call", "wrap_up", "ready"],
            timeout=20,
            what="agent 3801 to wrap up and be ready again",
        )
        await page.js("document.getElementById('unregister').click()")
        await shown_state(page, "signed_out")
        await asyncio.to_thread(
            wait_until,
            lambda: agent_states(pbx, "3801")[-1:] == ["logged_out"],
            timeout=20,
            what="agent 3801 to be logged out after signing out",
        )

    call = await asyncio.to_thread(
        wait_until, lambda: call_record(pbx, "0401380001"), timeout=15, what="the call record"
    )
    assert call["agent"] == "3801"
    assert call["disposition"] == "answered"
    log = await asyncio.to_thread(queue_log, pbx, queue="webrtc_desk")
    assert [(e.event, e.agent) for e in log][-3:] == [
        ("offered", "3801"),
        ("answered", "3801"),
        ("completed", "3801"),
    ]


async def test_auto_answer_over_plain_websocket_and_the_caller_hangs_up(
    pbx: Deployment,
    acd: SwitchboardProcess,
    passwords: dict[str, str],
    tone: Path,
    tmp_path: Path,
    no_channels: None,
) -> None:
    plain = f"ws://127.0.0.1:{pbx.http_port}/ws"
    async with softphone(pbx, f"?lang=sv&server={plain}") as page:
        await page.js("document.getElementById('auto-answer').click()")
        await sign_in(page, "3803", passwords["3803"])
        await shown_state(page, "ready")
        assert await text(page, "state") == "Redo för samtal"
        await logged_in(pbx, "3803")

        scenario = Caller(tmp_path).say(tone, 12).hang_up(tmp_path / "caller.xml")
        caller = Sipp(pbx, tmp_path).start(
            str(scenario),
            callers=[("0401380003", "Caller")],
            dialled="780",
            calls=1,
            source_ip=CALLER_IP,
        )
        try:
            await shown_state(page, "in_call")  # nobody clicked Answer
            await audio_flows(page)
            await asyncio.to_thread(finished, caller)
        finally:
            if caller.poll() is None:
                caller.kill()
                caller.communicate()
        await shown_state(page, "ready", timeout=15)  # the caller's BYE ended the call

    call = await asyncio.to_thread(
        wait_until, lambda: call_record(pbx, "0401380003"), timeout=15, what="the call record"
    )
    assert call["agent"] == "3803"


def _render(tmp_path: Path, **asterisk: Any) -> tuple[Path, InstancePaths]:
    """Render an instance's configuration into a folder (no chroot: paths are host paths)."""
    paths = InstancePaths(PurePosixPath(tmp_path / "instance"))
    settings = AsteriskSettings(**asterisk)
    context = render_context(settings, Secrets.generate(), paths, PurePosixPath("/moh"))
    render_config(context, Path(paths.etc))
    return Path(paths.etc), paths


def _subject_names(cert: Path) -> str:
    shown = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout


def test_ice_is_on_and_without_a_wss_port_there_is_no_tls(tmp_path: Path) -> None:
    etc, paths = _render(tmp_path)
    assert "icesupport = yes" in (etc / "rtp.conf").read_text()
    assert "stunaddr" not in (etc / "rtp.conf").read_text()
    assert "tlsenable" not in (etc / "http.conf").read_text()
    assert "transport-wss" not in (etc / "pjsip.conf").read_text()
    assert "protocol = ws\n" in (etc / "pjsip.conf").read_text()
    assert not (Path(paths.keys) / "wss-key.pem").exists()


def test_a_wss_port_gets_a_self_signed_certificate_once_for_the_owner_only(
    tmp_path: Path,
) -> None:
    etc, paths = _render(tmp_path, wss_port=8089)
    keys = Path(paths.keys)
    http = (etc / "http.conf").read_text()
    assert "tlsenable = yes\ntlsbindaddr = 127.0.0.1:8089\n" in http
    assert f"tlscertfile = {keys / 'wss-cert.pem'}\n" in http
    assert f"tlsprivatekey = {keys / 'wss-key.pem'}\n" in http
    assert "[transport-wss]\ntype = transport\nprotocol = wss\n" in (etc / "pjsip.conf").read_text()
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((keys / "wss-key.pem").stat().st_mode) == 0o600
    assert "IP Address:127.0.0.1" in _subject_names(keys / "wss-cert.pem")
    first = (keys / "wss-cert.pem").read_bytes()
    _render(tmp_path, wss_port=8089)  # every start renders again: the certificate stays
    assert (keys / "wss-cert.pem").read_bytes() == first


def test_a_configured_certificate_is_copied_in_and_a_missing_one_changes_nothing(
    tmp_path: Path,
) -> None:
    own_cert, own_key = tmp_path / "desk.pem", tmp_path / "desk.key"
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subject = ["-days", "2", "-subj", "/CN=desk.example"]
    files = ["-keyout", str(own_key), "-out", str(own_cert)]
    subprocess.run(
        ["openssl", "req", "-x509", *new_key, *subject, *files], capture_output=True, check=True
    )
    options = {"wss_port": 8089, "tls_cert_file": own_cert, "tls_key_file": own_key}
    _, paths = _render(tmp_path, **options)
    keys = Path(paths.keys)
    assert (keys / "wss-cert.pem").read_bytes() == own_cert.read_bytes()
    assert (keys / "wss-key.pem").read_bytes() == own_key.read_bytes()
    assert stat.S_IMODE((keys / "wss-key.pem").stat().st_mode) == 0o600

    before = {p.name: p.read_bytes() for p in Path(paths.etc).iterdir()}
    gone = tmp_path / "gone.pem"
    with pytest.raises(CertificateError, match=f"TLS file {gone} does not exist"):
        _render(tmp_path, **{**options, "tls_cert_file": gone})
    assert {p.name: p.read_bytes() for p in Path(paths.etc).iterdir()} == before
    assert (keys / "wss-cert.pem").read_bytes() == own_cert.read_bytes()


def test_a_certificate_without_its_key_is_refused_by_the_cli(
    deployment: Deployment, tmp_path: Path
) -> None:
    shown = deployment.cli(
        "config", "show", SWITCHBOARD_ASTERISK__TLS_CERT_FILE=str(tmp_path / "desk.pem")
    )
    assert shown.returncode == 2
    assert "asterisk.tls_cert_file and asterisk.tls_key_file go together" in shown.stderr
