"""Web forms defined in YAML, rendered as accessible HTML; a submission is a ticket."""
