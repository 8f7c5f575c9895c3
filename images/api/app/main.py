"""ASGI entry point: `uvicorn app.main:app` (the dev image runs it with --reload)."""

from app.factory import create_app

app = create_app()
