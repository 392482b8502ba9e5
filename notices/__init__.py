"""Planned and emergency works by area: what the IVR announces and broadcasts deliver."""
