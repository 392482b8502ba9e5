"""Messaging apps: WhatsApp Cloud API and the Telegram Bot API."""
