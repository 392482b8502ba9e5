"""A SIPp agent phone: registers with digest auth, answers OPTIONS, and answers (or only
rings on) the calls Asterisk offers it, until the test stops it.

Calls Asterisk places to the phone carry new Call-IDs, so they run SIPp's out-of-call
scenario (``-oocsf``), one branch per request type.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.harness import Deployment, free_media_ports, free_port

# The trunk is identified by source address (127.0.0.1 in tests, and PJSIP tries the
# address first), so agents' phones use another loopback address.
AGENT_IP = "127.0.0.2"

_REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent register">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
Expires: 3600
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
[authentication]
Expires: 3600
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
  <pause milliseconds="3600000"/>
</scenario>
"""

# Signing off, as a phone does when it shuts down: the same contact with Expires: 0.
_UNREGISTER = (
    _REGISTER.replace("Expires: 3600", "Expires: 0")
    .replace('  <pause milliseconds="3600000"/>\n', "")
    .replace("agent register", "agent unregister")
)

_REPLY = """  <send><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port]>
{extra}Content-Length: {length}
{body}]]></send>
"""

_SDP = """
v=0
o=agent 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
"""


_INVITE = '  <recv request="INVITE"{action}</recv>\n'


def _reply(status: str, *, sdp: bool = False) -> str:
    if sdp:
        return _REPLY.format(
            status=status,
            extra="Content-Type: application/sdp\n",
            length="[len]",
            body=_SDP,
        )
    return _REPLY.format(status=status, extra="", length="0", body="")


_TALK_THEN_BYE = """  <recv request="ACK">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="them"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="us"/>
    </action>
  </recv>
  <pause distribution="uniform" min="{low}" max="{high}"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From:[$us]
To:[$them]
[last_Call-ID:]
CSeq: 2 BYE
Contact: <sip:[service]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
"""


def _answering(answer: bool, talk: tuple[float, float] | None = None) -> str:
    """Out-of-call scenario: OPTIONS -> 200; INVITE -> ring, then answer and await BYE
    (or, with ``talk``, talk a uniformly random time in that range and hang up), or ring
    until CANCEL."""
    if answer and talk is not None:
        low, high = (round(seconds * 1000) for seconds in talk)
        invite = (
            _reply("180 Ringing")
            + _reply("200 OK", sdp=True)
            + _TALK_THEN_BYE.format(low=low, high=high)
        )
    elif answer:
        invite = (
            _reply("180 Ringing")
            + _reply("200 OK", sdp=True)
            + '  <recv request="ACK"/>\n  <recv request="BYE"/>\n'
            + _reply("200 OK")
        )
    else:
        invite = (
            _reply("180 Ringing")
            + '  <recv request="CANCEL"/>\n'
            + _reply("200 OK")
            + _reply("487 Request Terminated").replace("[last_CSeq:]", "CSeq: [$cseq] INVITE")
            + '  <recv request="ACK"/>\n'
        )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="agent phone">\n'
        '  <recv request="OPTIONS" optional="true" next="options"/>\n'
        + _INVITE.format(
            action=(' rrs="true">' if talk is not None else ">")
            if answer
            else '><action><ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" '
            'assign_to="cseq"/></action>'
        )
        + invite
        + '  <nop next="end"/>\n  <label id="options"/>\n'
        + _reply("200 OK")
        + '  <label id="end"/>\n</scenario>\n'
    )


class SippAgent:
    """One agent phone; ``stop()`` ends it (tests call it in ``finally``)."""

    def __init__(
        self,
        deployment: Deployment,
        workdir: Path,
        extension: str,
        password: str,
        *,
        answer: bool = True,
        talk: tuple[float, float] | None = None,
    ) -> None:
        self.extension = extension
        self.workdir = workdir
        register = workdir / f"agent-{extension}-register.xml"
        phone = workdir / f"agent-{extension}-phone.xml"
        register.write_text(_REGISTER)
        phone.write_text(_answering(answer, talk))
        self.errors = workdir / f"agent-{extension}-errors.log"
        self.port = free_port(socket.SOCK_DGRAM)
        self.password = password
        self.stopped = False
        self.registrar = f"127.0.0.1:{deployment.sip_port}"
        self.process = subprocess.Popen(
            [
                "sipp",
                "-sf",
                str(register),
                "-oocsf",
                str(phone),
                "-s",
                extension,
                "-au",
                extension,
                "-ap",
                password,
                "-m",
                "1",
                "-i",
                AGENT_IP,
                "-p",
                str(self.port),
                "-mp",
                str(free_media_ports()),
                "-nostdin",
                "-trace_err",
                "-error_file",
                str(self.errors),
                f"127.0.0.1:{deployment.sip_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )

    def exited(self) -> int | None:
        return self.process.poll()

    def crash(self) -> None:
        """The phone dies without signing off (a power cut): Asterisk keeps its contact
        until qualify notices, so calls can still be offered to it."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """Unregister and end the phone, so its agent is logged out straight away (not
        only once Asterisk's qualify notices the phone is gone)."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        scenario = self.workdir / f"agent-{self.extension}-unregister.xml"
        scenario.write_text(_UNREGISTER)
        subprocess.run(
            [
                "sipp", "-sf", str(scenario), "-s", self.extension,
                "-au", self.extension, "-ap", self.password, "-m", "1",
                "-i", AGENT_IP, "-p", str(self.port), "-nostdin",
                "-timeout", "10", "-timeout_error", self.registrar,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            timeout=30,
            check=False,  # a phone that cannot sign off is logged out by qualify instead
        )  # fmt: skip
