"""Writing test mails and sending them over real SMTP."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import aiosmtplib


def mail(
    sender: str = "Maija Meikäläinen <maija@example.fi>",
    subject: str = "No water on Kotikatu",
    body: str = "The tap has been dry since the morning.",
    message_id: str = "<m1@example.fi>",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@desk.example"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def deliver(port: int, message: EmailMessage | bytes, **kwargs: Any) -> tuple[int, str]:
    """Send over SMTP to the built-in server; the final SMTP reply code and text."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
    await client.connect()
    try:
        if isinstance(message, bytes):
            response = await client.sendmail(
                "maija@example.fi", ["help@desk.example"], message, **kwargs
            )
        else:
            response = await client.send_message(message, **kwargs)
        _errors, text = response
        return 250, text
    except aiosmtplib.SMTPResponseException as exc:
        return exc.code, exc.message
    finally:
        client.close()
