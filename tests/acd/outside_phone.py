"""The phone of a number outside, reached through the trunk (the tests point
``calls.callback_dial`` at a loopback port): a SIPp scenario that is busy, or answers
and then hangs up after a while or waits for the other side to."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from tests.harness import free_media_ports

_RESPONSE = """  <send{retrans}><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port]>
{body}]]></send>
"""
_SDP = """Content-Type: application/sdp
Content-Length: [len]

v=0
o=outside 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""
_BYE = """  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From:[$us]
To:[$them]
[last_Call-ID:]
CSeq: 1 BYE
Contact: <sip:[service]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
"""


def _invite(shown: str | None) -> str:
    if shown is None:
        return '  <recv request="INVITE" rrs="true"/>\n'
    pattern = re.escape(shown)
    return (
        '  <recv request="INVITE" rrs="true"><action>'
        f'<ereg regexp="{pattern}" search_in="hdr" header="From:" check_it="true" assign_to="x"/>'
        '<log message="shown [$x]"/></action></recv>\n'
    )


def outside_phone(
    tmp_path: Path, port: int, *, answer: bool, talk_ms: int | None = None, shown: str | None = None
) -> Any:
    """The phone of a number outside: busy (486), or answering and then hanging up after
    ``talk_ms`` (or waiting for the other side's BYE when None). With ``shown`` the
    call fails unless its From header carries that caller ID."""
    if not answer:
        steps = _RESPONSE.format(retrans="", status="486 Busy Here", body="Content-Length: 0\n")
        steps += '  <recv request="ACK"/>\n'
    else:
        steps = _RESPONSE.format(retrans="", status="180 Ringing", body="Content-Length: 0\n")
        steps += _RESPONSE.format(retrans=' retrans="500"', status="200 OK", body=_SDP)
        if talk_ms is None:
            steps += '  <recv request="ACK"/>\n  <recv request="BYE"/>\n'
            steps += _RESPONSE.format(retrans="", status="200 OK", body="Content-Length: 0\n")
        else:
            steps += (
                '  <recv request="ACK"><action>'
                '<ereg regexp=".*" search_in="hdr" header="From:" assign_to="them"/>'
                '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="us"/>'
                "</action></recv>\n"
            )
            steps += f'  <pause milliseconds="{talk_ms}"/>\n' + _BYE
    scenario = tmp_path / f"outside-{answer}-{talk_ms}.xml"
    scenario.write_text(
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="outside">\n'
        + _invite(shown)
        + steps
        + "</scenario>\n"
    )
    command = [
        "sipp", "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1",
        "-p", str(port), "-mp", str(free_media_ports()), "-nostdin",
        "-timeout", "90", "-timeout_error", "-trace_err",
        "-error_file", str(tmp_path / "outside-errors.log"),
    ]  # fmt: skip
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
