"""Unsubscribing from broadcast mail (RFC 2369 ``List-Unsubscribe``, RFC 8058 one-click).

Each broadcast mail names its recipient in a token signed with a key derived from the
desk's generated secret: ``<mailto:desk?subject=unsubscribe TOKEN>`` and, when the desk
has a public address, ``<https://.../api/channels/unsubscribe/TOKEN>`` with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. A valid token ends the address's
subscriptions and records the opt-out; anything else changes nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import quote

from jinja2 import Environment, PackageLoader
from sqlmodel.ext.asyncio.session import AsyncSession

from channels import optout
from channels.models import ChannelInbound
from channels.settings import EmailSettings
from ticketing.errors import InvalidInput

ONE_CLICK = "List-Unsubscribe=One-Click"
SUBJECT = re.compile(r"^\s*unsubscribe\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$", re.IGNORECASE)
PATH = "/api/channels/unsubscribe/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


LANGUAGES = ("en", "fi", "sv", "uk")
PAGES = Environment(loader=PackageLoader("channels.email", "templates"), autoescape=True)


def page(language: str, address: str, token: str, done: bool) -> str:
    """The confirmation page (GET) or the receipt (after POST), in the reader's language."""
    language = language if language in LANGUAGES else "en"
    template = PAGES.get_template(f"unsubscribe.{language}.html.j2")
    return template.render(address=address, token=token, done=done, language=language)


class UnsubscribeLinks:
    def __init__(self, secret: str, settings: EmailSettings) -> None:
        if not secret:
            raise ValueError("unsubscribe links need a secret to sign their tokens")
        self.key = hmac.new(secret.encode(), b"switchboard email unsubscribe", "sha256").digest()
        self.settings = settings

    def token(self, address: str) -> str:
        payload = address.encode()
        signature = hmac.new(self.key, payload, hashlib.sha256).digest()[:18]
        return f"{_b64(payload)}.{_b64(signature)}"

    def address(self, token: str) -> str:
        """The address a token was made for; InvalidInput for a forged or broken one."""
        payload_text, _, signature_text = token.partition(".")
        try:
            payload, signature = _unb64(payload_text), _unb64(signature_text)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("this unsubscribe link is not valid") from exc
        expected = hmac.new(self.key, payload, hashlib.sha256).digest()[:18]
        if not payload or not hmac.compare_digest(expected, signature):
            raise InvalidInput("this unsubscribe link is not valid")
        return payload.decode(errors="replace")

    def headers(self, address: str) -> dict[str, str]:
        token = self.token(address)
        mailto = f"mailto:{self.settings.address}?subject={quote(f'unsubscribe {token}')}"
        base = self.settings.public_base_url.rstrip("/")
        if not base.startswith("https://"):
            return {"List-Unsubscribe": f"<{mailto}>"}
        return {
            "List-Unsubscribe": f"<{mailto}>, <{base}{PATH}{token}>",
            "List-Unsubscribe-Post": ONE_CLICK,
        }

    async def apply(self, session: AsyncSession, token: str) -> str:
        """End the token's address's mail; the address (InvalidInput: nothing changed)."""
        address = self.address(token)
        await optout.stop(session, "email", address, "unsubscribe")
        return address

    async def requested_by_mail(self, session: AsyncSession, message: ChannelInbound) -> str:
        """Honour a mail sent to the ``mailto:`` link; why it is not threaded, or ""."""
        found = SUBJECT.match(message.subject)
        if found is None:
            return ""
        try:
            await self.apply(session, found.group(1))
        except InvalidInput:
            return ""  # a person writing "unsubscribe ..." by hand: an ordinary message
        return "unsubscribe request"
