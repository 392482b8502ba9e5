"""Web sessions: a cookie signed with the generated ``session_key`` (no server-side store).

The cookie holds the user id and the user's session version; disabling a user, changing
their password or role bumps the version and so ends every session they had.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "switchboard_session"
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class SessionClaim:
    user_id: int
    session_version: int


class SessionCodec:
    def __init__(self, session_key: str, max_age: int = MAX_AGE_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(session_key, salt="switchboard.session")
        self.max_age = max_age

    def encode(self, claim: SessionClaim) -> str:
        return self._serializer.dumps({"u": claim.user_id, "v": claim.session_version})

    def decode(self, cookie: str) -> SessionClaim | None:
        """The claim of a valid, unexpired cookie; None for anything else."""
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict):
            return None
        user_id, version = data.get("u"), data.get("v")
        if not isinstance(user_id, int) or not isinstance(version, int):
            return None
        return SessionClaim(user_id, version)
