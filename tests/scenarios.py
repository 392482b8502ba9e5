"""SIPp scenarios written per test: a caller who waits, presses keys (RFC 2833 events,
generated per press like a phone's: SIPp's own recordings carry fixed RTP timestamps, so
a key pressed again would look like a retransmission), speaks (a pcap of RTP audio), and
then either hangs up or waits for the system to hang up."""

from __future__ import annotations

from pathlib import Path

from tests.audio import dtmf_pcap

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
"""

_HANGUP = """  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""

_AWAIT_BYE = """  <recv request="BYE" timeout="{timeout}"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[field0]@[local_ip]:[local_port]>
Content-Length: 0
]]></send>
</scenario>
"""


class Caller:
    """What a caller does after the call is answered, in order. Files it needs (key
    presses as pcaps) go to ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._steps: list[str] = []
        self._presses = 0

    def wait(self, seconds: float) -> Caller:
        """The caller listens for a while (to a prompt) before acting."""
        self._steps.append(f'  <pause milliseconds="{round(seconds * 1000)}"/>')
        return self

    def press(self, keys: str, gap: float = 0.3) -> Caller:
        for key in keys:
            pcap = dtmf_pcap(key, self._presses, self.workdir / f"key-{self._presses}.pcap")
            self._presses += 1
            self._play(pcap, gap)
        return self

    def say(self, pcap: Path, seconds: float) -> Caller:
        """Send recorded speech (an RTP pcap lasting ``seconds``)."""
        return self._play(pcap, seconds)

    def _play(self, pcap: Path, seconds: float) -> Caller:
        self._steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
        self._steps.append(f'  <pause milliseconds="{round(seconds * 1000)}"/>')
        return self

    def hang_up(self, path: Path) -> Path:
        return self._write(path, _HANGUP)

    def await_hangup(self, path: Path, timeout: float = 60) -> Path:
        """Wait for the system to hang up, from the moment the last key or word is sent
        (SIPp cannot take a BYE while it pauses)."""
        if self._steps and self._steps[-1].lstrip().startswith("<pause"):
            self._steps.pop()
        return self._write(path, _AWAIT_BYE.format(timeout=round(timeout * 1000)))

    def _write(self, path: Path, tail: str) -> Path:
        path.write_text(_HEAD.format(name=path.stem) + "\n".join(self._steps) + "\n" + tail)
        return path
