"""Email: inbound over a built-in SMTP server and IMAP polling, replies over SMTP."""
