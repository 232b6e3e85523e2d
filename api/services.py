"""What the API needs, built by the composition root and handed to create_app."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from api.idempotency import IdempotencyStore
from domain.bus.service import BusCredentialService
from domain.callbacks.service import CallbackService
from domain.catalog.service import CatalogService
from domain.identity.service import IdentityService
from domain.infra.dispatch import DispatchService
from domain.infra.infra_service_commands import InfraServices
from domain.plumbing.store import EventStore
from domain.routing.service import RoutingService
from domain.secrets.service_set import SecretsContext
from domain.tasks.agent_work import AgentWork
from domain.tasks.logs import AttemptLogs
from domain.tasks.service import TaskService
from domain.tenancy.service import TenancyService
from domain.workflows.instance_service import WorkflowInstances
from domain.workflows.template_service import WorkflowTemplateService
from projections.engine.waiter import ProgressWaiter


@dataclass
class Services:
    store: EventStore
    identity: IdentityService
    tenancy: TenancyService
    read_pool: AsyncConnectionPool
    waiter: ProgressWaiter
    idempotency: IdempotencyStore
    projection_names: tuple[str, ...]
    catalog: CatalogService
    callbacks: CallbackService
    infra: InfraServices
    routing: RoutingService
    # Tasks, agent definitions and runtime targets.
    tasks: TaskService
    # Dispatcher credentials, and what dispatchers do through the API.
    dispatch: DispatchService
    workflow_templates: WorkflowTemplateService
    # The write side's table of each API token's last written position.
    session_positions: sql.Composable
    # The event store's table (its notification ids are the log's positions).
    event_log: sql.Composable
    bus: BusCredentialService
    # Attempts' output, as the runtimes write it (None: this API cannot read logs).
    task_logs: AttemptLogs | None = None
    bus_stream: str = "SIGNALYARD"
    max_body_bytes: int = 1_048_576
    read_your_writes_timeout: float = 5.0
    # Secret use cases with their backends (built by the composition root).
    secrets: SecretsContext | None = None
    # What agents may do with their attempt tokens (None: no agent API here).
    agents: AgentWork | None = None
    # Workflow instances (built by the composition root).
    workflow_instances: WorkflowInstances | None = None
