"""Reading one email into an ``Inbound``: sender, threading headers, text, attachments,
and whether it is an automatic message we must never answer or thread (mail loops)."""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from channels.adapter import Inbound, InboundAttachment
from channels.email.html import sanitise
from ticketing.errors import InvalidInput
from ticketing.identities import normalise_email

CHANNEL = "email"
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
MAX_PARTS = 100


class MailRejected(ValueError):
    """The message cannot be taken at all (no usable sender); the SMTP answer says why."""


def parse_mail(raw: bytes) -> Inbound:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything left is hopeless input
        raise MailRejected(f"unreadable message: {exc.__class__.__name__}") from exc
    assert isinstance(message, EmailMessage)
    name, address = _sender(message)
    message_id = _first_id(_header(message, "Message-ID"))
    provider_id = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    refs = _ids(_header(message, "In-Reply-To")) + _ids(_header(message, "References"))
    text, safe_html, files, problems = _content(message)
    meta: dict[str, object] = {"message_id": message_id} if message_id else {}
    if problems:
        meta["problems"] = problems
    ignore = automatic(message)
    bounced = bounce_of(message) if message.get_content_type() == "multipart/report" else ""
    if bounced:  # a bounce of a mail we sent: threaded as a delivery report on its row
        meta["bounce_of"], meta["bounce_reason"] = bounced, _bounce_reason(message)
        ignore = ""
    return Inbound(
        channel=CHANNEL,
        provider_id=provider_id,
        sender=address,
        sender_name=name[:200],
        subject=" ".join(_header(message, "Subject").split())[:300],
        body=text,
        html=safe_html,
        refs=tuple(dict.fromkeys(refs)),
        meta=meta,
        attachments=tuple(files),
        ignore_reason=ignore,
    )


def automatic(message: EmailMessage) -> str:
    """Why this is an automatic message (auto-reply, bulk, bounce); empty when human."""
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted != "no":
        return f"automatic message (Auto-Submitted: {submitted[:40]})"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"automatic message (Precedence: {precedence})"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(message, header):
            return f"automatic message ({header})"
    if message.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    return ""


def bounce_of(report: EmailMessage) -> str:
    """The Message-ID of the returned mail in a delivery report (RFC 3464), if any."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, EmailMessage):
                return _first_id(_header(inner, "Message-ID"))
        if kind == "text/rfc822-headers":
            found = re.search(r"^Message-ID:\s*(<[^>]+>)", _text_of(part), re.I | re.M)
            if found:
                return found.group(1)
    return ""


def _bounce_reason(report: EmailMessage) -> str:
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [payload]
            text = "\n".join(str(block) for block in blocks)  # per-message, per-recipient
            found = re.search(r"^Diagnostic-Code:\s*(.+)$", text, re.I | re.M)
            status = re.search(r"^Status:\s*(\S+)", text, re.I | re.M)
            return (found or status).group(1).strip()[:300] if (found or status) else "bounced"
    return "bounced"


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header too broken to decode counts as absent
        return ""
    return str(value) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(message, "From"))
    if not address:
        pairs = getaddresses([_header(message, "Sender"), _header(message, "Reply-To")])
        name, address = next(((n, a) for n, a in pairs if a), ("", ""))
    try:
        return name, normalise_email(address)
    except InvalidInput as exc:
        raise MailRejected("no valid sender address (From)") from exc


def _first_id(value: str) -> str:
    ids = _ids(value)
    return ids[0] if ids else ""


def _ids(value: str) -> list[str]:
    return _MSGID.findall(value)[:50]


def _content(message: EmailMessage) -> tuple[str, str, list[InboundAttachment], list[str]]:
    problems = [type(d).__name__ for d in message.defects][:10]
    text, safe_html = "", ""
    try:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
        if rich is not None:
            safe_html, from_html = sanitise(_text_of(rich))
        if plain is not None:
            text = _text_of(plain)
        elif rich is not None:
            text = from_html
    except Exception as exc:  # undecodable body: keep what else there is
        problems.append(f"body: {exc.__class__.__name__}")
    files: list[InboundAttachment] = []
    parts = list(message.walk())[:MAX_PARTS]
    if len(parts) == MAX_PARTS:
        problems.append(f"more than {MAX_PARTS} parts: the rest ignored")
    body_parts = {id(p) for p in (_safe_body(message, "plain"), _safe_body(message, "html")) if p}
    for part in parts:
        if part.is_multipart() or id(part) in body_parts:
            continue
        filename = part.get_filename()
        inline_image = part.get_content_maintype() == "image"
        if not filename and not inline_image:
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            problems.append(f"undecodable attachment {filename or '(unnamed)'}")
            continue
        name = filename or f"inline-{len(files) + 1}.{part.get_content_subtype()}"
        files.append(InboundAttachment(name, part.get_content_type(), data))
    return text.strip(), safe_html, files, problems


def _safe_body(message: EmailMessage, kind: str) -> EmailMessage | None:
    try:
        found = message.get_body(preferencelist=(kind,))
    except Exception:
        return None
    return found if isinstance(found, EmailMessage) else None


def _text_of(part: object) -> str:
    assert isinstance(part, EmailMessage)
    try:
        content = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""
