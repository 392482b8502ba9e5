"""An asyncio ARI client on httpx (REST) and websockets (events)."""

from pbx.ari.client import AriClient
from pbx.ari.errors import AriAuthError, AriConflict, AriError, AriNotFound, AriUnavailable

__all__ = ["AriAuthError", "AriClient", "AriConflict", "AriError", "AriNotFound", "AriUnavailable"]
