"""Publishing a version: identical content (same hash) is a no-op returning that version."""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import CommandResult


@dataclass(frozen=True)
class Published:
    result: CommandResult
    version: VersionRecord
    created: bool  # False when the content equals an existing version's


def existing_version(entity: VersionedAggregate, content_hash: str) -> Published | None:
    record = entity.version_with_hash(content_hash)
    if record is None:
        return None
    return Published(CommandResult.of(entity, 0), record, created=False)
