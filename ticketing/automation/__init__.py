"""Automation: rules (event -> conditions -> actions) and outgoing webhooks."""
