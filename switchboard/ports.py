"""Checking that a listening port is free before starting a server on it."""

from __future__ import annotations

import socket


class PortInUse(RuntimeError):
    """Another program holds a port Switchboard needs; the message names it."""


def ensure_port_free(address: str, port: int, kind: socket.SocketKind, label: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise PortInUse(
                f"port {port} ({label}) on {address} is already in use by another program; "
                "stop it or choose another port in the settings"
            ) from exc
