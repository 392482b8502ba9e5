"""Switchboard: the shared kernel (settings, database, event bus, CLI, composition root)."""

__version__ = "0.1.0"
