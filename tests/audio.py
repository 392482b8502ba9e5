"""Making caller audio for SIPp: speech from espeak-ng, packed as an RTP/PCMU pcap that
SIPp's ``play_pcap_audio`` replays into a call."""

from __future__ import annotations

import struct
import subprocess
import wave
from pathlib import Path

SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz


def speak(text: str, voice: str, out: Path, *, pad_seconds: float = 0.5) -> Path:
    """``text`` spoken by espeak-ng as 8 kHz mono 16-bit WAV, with silence around it."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), "--", text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out),
         "pad", str(pad_seconds), str(pad_seconds)],
        check=True,
    )  # fmt: skip
    raw.unlink()
    return out


def _ulaw(sample: int) -> int:
    """G.711 mu-law encoding of one 16-bit linear sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent, mask = 7, 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent, mask = exponent - 1, mask >> 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
DTMF_SSRC = 0x5B0A7D02


def dtmf_pcap(key: str, press: int, out: Path) -> Path:
    """An RFC 2833 key press as RTP packets. Each press of a call needs its own ``press``
    number: the event's RTP timestamp grows with it, as a phone's does, so the receiver
    never takes a repeated key for a retransmission of the last one."""
    timestamp = 16000 * (press + 1)
    packets = []
    for n in range(10):
        end = n >= 7
        duration = 160 * min(n + 1, 8)
        marker = 0x80 if n == 0 else 0
        header = struct.pack(
            "!BBHII", 0x80, marker | 101, (press * 16 + n) & 0xFFFF, timestamp, DTMF_SSRC
        )
        event = struct.pack("!BBH", DTMF_EVENTS[key], (0x80 if end else 0) | 10, duration)
        packets.append(header + event)
    return _write_pcap(out, packets)


def wav_to_rtp_pcap(wav_path: Path, out: Path) -> Path:
    """Pack 8 kHz 16-bit mono audio as 20 ms RTP/PCMU packets in a pcap file."""
    with wave.open(str(wav_path), "rb") as audio:
        assert audio.getframerate() == 8000 and audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
        pcm = audio.readframes(audio.getnframes())
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    payload = bytes(_ulaw(s) for s in samples)
    packets = []
    for index, start in enumerate(range(0, len(payload), SAMPLES_PER_PACKET)):
        chunk = payload[start : start + SAMPLES_PER_PACKET].ljust(SAMPLES_PER_PACKET, b"\xff")
        packets.append(
            struct.pack("!BBHII", 0x80, 0, index & 0xFFFF, index * 160, 0x5B0A7D01) + chunk
        )
    return _write_pcap(out, packets)


def _write_pcap(out: Path, packets: list[bytes]) -> Path:
    """RTP packets, one every 20 ms, in a pcap file (Ethernet/IPv4/UDP) SIPp can replay."""
    with out.open("wb") as pcap:
        pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for index, rtp in enumerate(packets):
            udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
            ip = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index & 0xFFFF, 0, 64, 17, 0,
                bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
            )  # fmt: skip
            frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
            micros = index * 20000
            pcap.write(
                struct.pack(
                    "<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)
                )
            )
            pcap.write(frame)
    return out
