"""The web app (FastAPI + Jinja2): a thin layer over the domain services."""
