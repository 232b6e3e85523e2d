"""The API as an importable app factory, for uvicorn's worker processes (and any ASGI
server): `uvicorn --factory signalyard.asgi:create_app`. Settings come from the
environment, as for every other process."""

from __future__ import annotations

from signalyard.bootstrap import build_api_from_env as create_app

__all__ = ["create_app"]
