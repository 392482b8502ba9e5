"""Channel settings (``SWITCHBOARD_CHANNELS__...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class EmailSettings(BaseModel):
    enabled: bool = False
    address: str = Field("support@localhost", description="The desk's address (From:)")
    organisation: str = Field("Customer service", description="Signature of replies")
    language: Literal["en", "fi", "sv", "uk"] = Field("en", description="Reply template")
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = Field(2525, description="Built-in SMTP server for inbound mail")
    max_message_bytes: int = Field(25 * 1024 * 1024, description="Largest mail accepted")
    relay_host: str = Field("127.0.0.1", description="SMTP server replies are sent through")
    relay_port: int = 25
    relay_username: str = ""
    relay_password: str = ""
    relay_starttls: bool = False
    imap_host: str = Field("", description="Mailbox polled over IMAP; empty: no polling")
    imap_port: int = 993
    imap_ssl: bool = True
    imap_username: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_interval: float = Field(30.0, gt=0, description="Seconds between mailbox polls")
    public_base_url: str = Field(
        "", description="The desk's public https address, for one-click unsubscribe links"
    )


class ChatSettings(BaseModel):
    enabled: bool = Field(False, description="Serve the web chat widget and its websocket")
    title: str = Field("Chat with us", description="The widget's heading")
    presence_lease_seconds: float = Field(
        120.0, ge=1, description="How long an agent's 'available for chat' lasts unrenewed"
    )


class FormSettings(BaseModel):
    folder: Path | None = Field(None, description="Folder of form definitions (<slug>.yaml)")
    per_client: int = Field(5, ge=1, description="Submissions per client address per window")
    window_seconds: float = Field(600.0, gt=0)


class WhatsAppSettings(BaseModel):
    enabled: bool = False
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v19.0"
    phone_number_id: str = ""
    access_token: str = ""
    app_secret: str = Field("", description="Checks X-Hub-Signature-256 on webhooks")
    verify_token: str = Field("", description="Answers the webhook subscription check")
    notice_template: str = Field(
        "",
        description="An approved message template with one body parameter (the notice's "
        "text) for works notices: WhatsApp refuses free text to people who have not "
        "written in the last 24 hours. Without it, notices do not go by WhatsApp.",
    )
    reply_template: str = Field(
        "",
        description="An approved template with one body parameter for agents' replies to "
        "a customer whose last WhatsApp message is more than 24 hours old. Without it such "
        "a reply fails on the ticket, saying why.",
    )
    reply_language: str = Field("fi", description="The reply template's language code")


class TelegramSettings(BaseModel):
    enabled: bool = False
    api_base: str = "https://api.telegram.org"
    bot_token: str = ""
    webhook_secret: str = Field("", description="secret_token given to setWebhook")


class ViberSettings(BaseModel):
    enabled: bool = False
    api_base: str = "https://chatapi.viber.com"
    auth_token: str = Field("", description="Sends messages and checks X-Viber-Content-Signature")
    sender_name: str = Field("Customer service", description="The bot's name on messages")


class MessengerSettings(BaseModel):
    enabled: bool = False
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v19.0"
    page_access_token: str = ""
    app_secret: str = Field("", description="Checks X-Hub-Signature-256 on webhooks")
    verify_token: str = Field("", description="Answers the webhook subscription check")


class SmsSettings(BaseModel):
    provider: Literal["off", "twilio", "generic"] = "off"
    from_number: str = Field("", description="The desk's number, E.164")
    webhook_base_url: str = Field(
        "", description="Public base URL the provider calls (signatures cover the full URL)"
    )
    # twilio
    api_base: str = Field("https://api.twilio.com", description="Twilio-compatible API")
    account_sid: str = ""
    auth_token: str = ""
    # generic: JSON over HTTP, HMAC-SHA256 signed inbound, bearer token outbound
    send_url: str = ""
    api_token: str = ""
    webhook_secret: str = ""


class ChannelSettings(BaseModel):
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    chat: ChatSettings = Field(default_factory=lambda: ChatSettings())
    forms: FormSettings = Field(default_factory=lambda: FormSettings())
    whatsapp: WhatsAppSettings = Field(default_factory=lambda: WhatsAppSettings())
    telegram: TelegramSettings = Field(default_factory=lambda: TelegramSettings())
    viber: ViberSettings = Field(default_factory=lambda: ViberSettings())
    messenger: MessengerSettings = Field(default_factory=lambda: MessengerSettings())
    sender_limit_per_hour: int = Field(
        30, ge=1, description="Messages a sender may send an hour before the rest are ignored"
    )
    max_attempts: int = Field(5, ge=1, description="Send attempts before a reply fails")
    backoff_seconds: float = Field(30.0, gt=0, description="First retry delay; doubles")
    per_second: dict[str, float] = Field(
        default_factory=dict, description="Provider throttle per channel, e.g. {sms = 10}"
    )
    public_base_url: str = Field(
        "",
        description="The desk's public https address, from which Viber and Messenger fetch "
        "the files of agents' replies (signed links that expire)",
    )
    media_link_hours: float = Field(24.0, gt=0, description="How long a reply file's link works")
