"""Typed ARI failures, so callers branch on meaning rather than on status codes."""

from __future__ import annotations


class AriError(RuntimeError):
    def __init__(self, status: int, message: str, path: str = "") -> None:
        super().__init__(f"ARI {path}: HTTP {status}: {message}" if path else message)
        self.status = status
        self.path = path


class AriNotFound(AriError):
    """The channel, bridge, playback... is gone (often: the caller hung up)."""


class AriConflict(AriError):
    """The resource is in the wrong state for the request (e.g. channel not in Stasis)."""


class AriAuthError(AriError):
    """Asterisk rejected the ARI credentials: fatal, never retried."""


class AriUnavailable(AriError):
    """Asterisk's HTTP server cannot be reached."""


def error_for_status(status: int, message: str, path: str) -> AriError:
    kind: type[AriError] = {401: AriAuthError, 404: AriNotFound, 409: AriConflict}.get(
        status, AriError
    )
    return kind(status, message, path)
