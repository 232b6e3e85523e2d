"""The catalog's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.catalog.blobs import BlobStore
from domain.catalog.categories import CategoryService
from domain.catalog.configs import ConfigService
from domain.catalog.skills import SkillService
from domain.catalog.tools import ToolService
from domain.plumbing.store import EventStore


class CatalogService:
    def __init__(self, store: EventStore, blobs: BlobStore, max_bundle_bytes: int) -> None:
        self.blobs = blobs
        self.max_bundle_bytes = max_bundle_bytes
        self.skills = SkillService(store, blobs, max_bundle_bytes)
        self.configs = ConfigService(store)
        self.categories = CategoryService(store)
        self.tools = ToolService(store)
