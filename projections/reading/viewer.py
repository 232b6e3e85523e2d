"""Who is reading: every query is filtered to what this viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Viewer:
    user_id: UUID
    is_platform_admin: bool = False


class NotVisible(LookupError):
    """Unknown, deleted (unless asked for) or belonging to a tenant the viewer is not in."""
