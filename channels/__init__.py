"""Customer channels (email, SMS, ...) behind one adapter interface and one inbound path."""
