"""Signed, expiring links to one attachment, for providers that fetch a reply's file from
a public URL (Viber, Messenger):
``{base}/api/channels/media/{id}/{expires}/{signature}/{file name}``, the signature an
HMAC-SHA256 over the attachment id and the expiry (a Unix time) with a key derived from
the desk's generated secret. The file name ends the path because some apps take the type
from the last segment; it is not trusted. A link changed in its id, expiry or signature,
or used after it expired, is refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote

from ticketing.errors import Forbidden

PURPOSE = b"switchboard.channels.media-links"


class MediaLinks:
    def __init__(
        self,
        secret: str,
        base_url: str,
        lifetime_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("media links need a generated secret to sign them")
        # A key of its own: a signature made here is good for nothing else.
        self._key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
        self.base_url = base_url.rstrip("/")
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock

    def url(self, attachment_id: int, filename: str) -> str:
        expires = int(self.clock() + self.lifetime_seconds)
        signature = self._sign(attachment_id, expires)
        path = f"{attachment_id}/{expires}/{signature}/{quote(filename, safe='')}"
        return f"{self.base_url}/api/channels/media/{path}"

    def check(self, attachment_id: int, expires: str, signature: str) -> None:
        """Forbidden unless this desk signed the link and it has not expired."""
        if not expires.isdigit() or len(expires) > 12:
            raise Forbidden("this file link is not valid: it was changed or not made here")
        expected = self._sign(attachment_id, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise Forbidden("this file link is not valid: it was changed or not made here")
        if int(expires) < self.clock():
            raise Forbidden("this file link has expired: ask for the file again")

    def _sign(self, attachment_id: int, expires: int) -> str:
        message = f"{attachment_id}:{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
