"""RuntimeTarget: where tasks run (the local process runtime or a Kubernetes namespace),
defined for an organization, a workspace or a project; at most one default per scope."""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput
from domain.core.urls import validate_url

BACKENDS = ("local", "kubernetes")
SCOPE_TYPES = ("org", "workspace", "project")
_NAMESPACE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def validate_backend(value: object) -> str:
    if value not in BACKENDS:
        raise InvalidInput(
            f"backend_type must be one of {', '.join(BACKENDS)}", field="backend_type"
        )
    return str(value)


def validate_endpoint(value: object) -> str | None:
    return validate_url(value, "endpoint")


def validate_namespace(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _NAMESPACE.match(value):
        raise InvalidInput(
            "namespace must be a DNS label (lowercase, digits, -)", field="namespace"
        )
    return value


def validate_is_default(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("is_default must be a boolean", field="is_default")
    return value


class RuntimeTarget(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "description",
            "slug",
            "backend_type",
            "endpoint",
            "namespace",
            "is_default",
            "infra_service",
        }
    )
    # The InfraService (guid) whose health decides whether its tasks may start: unhealthy,
    # they wait, saying so. Set by an update (also in the write that creates the target);
    # not annotated, as the annotations of an aggregate are its fields.
    infra_service = cast("str | None", None)

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        scope_type: str,
        scope_id: UUID,
        name: str,
        slug: str,
        description: str,
        backend_type: str,
        endpoint: str | None,
        namespace: str | None,
        is_default: bool,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.scope_type = scope_type
        self.scope_id = scope_id
        self.backend_type = backend_type
        self.endpoint = endpoint
        self.namespace = namespace
        self.is_default = is_default

    def recorded(self, source: str) -> dict[str, Any]:
        """What a task keeps of the target it resolved to (and why it was chosen)."""
        return {
            "guid": str(self.id),
            "slug": self.slug,
            "scope_type": self.scope_type,
            "backend_type": self.backend_type,
            "endpoint": self.endpoint,
            "namespace": self.namespace,
            "source": source,
        }
