"""The catalog's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.catalog.blobs import BlobStore
from domain.catalog.category_service import CategoryService
from domain.catalog.config_service import ConfigService
from domain.catalog.skill_service import SkillService
from domain.catalog.tool_service import ToolService
from domain.plumbing.store import EventStore


class CatalogService:
    def __init__(self, store: EventStore, blobs: BlobStore, max_bundle_bytes: int) -> None:
        self.blobs = blobs
        self.max_bundle_bytes = max_bundle_bytes
        self.skills = SkillService(store, blobs, max_bundle_bytes)
        self.configs = ConfigService(store)
        self.categories = CategoryService(store)
        self.tools = ToolService(store)
