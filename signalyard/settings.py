"""Settings: the only place that reads the environment (through `Settings.from_env`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from api.roles import Role

MIN_TOKEN_LENGTH = 32
MIN_TOKEN_DISTINCT = 12
EventRecorder = Literal["grouped", "stock"]
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]  # uvicorn's
EVENT_RECORDERS: tuple[str, ...] = get_args(EventRecorder)
SECRET = {"secret": True}  # `signalyard config` masks these


def _env(name: str, description: str, **rules: Any) -> Any:
    secret = rules.get("json_schema_extra") == SECRET
    return Field(validation_alias=name, description=description, repr=not secret, **rules)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, env_ignore_empty=True
    )

    database_url: str | None = _env(
        "DATABASE_URL",
        "External Postgres (libpq URL); unset means the embedded server under the data dir.",
        default=None,
        json_schema_extra=SECRET,
    )
    nats_url: str | None = _env(
        "NATS_URL",
        "External NATS with JetStream (nats:// URL); unset means the embedded server.",
        default=None,
        json_schema_extra=SECRET,  # may carry a user and password
    )
    nats_stream: str = _env(
        "NATS_STREAM",
        "JetStream stream every domain event is published to (subjects `signalyard.>`).",
        default="SIGNALYARD",
        pattern=r"^[A-Za-z0-9_-]+$",
    )
    nats_subject_prefix: str = _env(
        "SIGNALYARD_NATS_SUBJECT_PREFIX",
        "First token of every event subject (`<prefix>.<org>.<entity>.<verb>`); two control"
        " planes on one NATS need two prefixes and two streams.",
        default="signalyard",
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
    )
    nats_stream_max_age_seconds: float = _env(
        "NATS_STREAM_MAX_AGE",
        "How long the stream keeps an event, in seconds (0: for ever).",
        default=7 * 24 * 3600,
        ge=0,
    )
    nats_stream_replicas: int = _env(
        "NATS_STREAM_REPLICAS", "Replicas of the stream (a NATS cluster's size).", default=1, ge=1
    )
    nats_creds: Path | None = _env(
        "NATS_CREDS",
        "With NATS_URL: the control plane's `.creds` file (full rights in the app account).",
        default=None,
    )
    nats_account_public_key: str | None = _env(
        "NATS_ACCOUNT_PUBLIC_KEY",
        "With NATS_URL: the application account's public nkey (A...), for bus credentials.",
        default=None,
    )
    nats_account_signing_seed: str | None = _env(
        "NATS_ACCOUNT_SIGNING_SEED",
        "With NATS_URL: seed (SA...) of a signing key of that account: signs tenants' users.",
        default=None,
        json_schema_extra=SECRET,
    )
    nats_operator_seed: str | None = _env(
        "NATS_OPERATOR_SEED",
        "With NATS_URL: seed (SO...) of the operator or one of its signing keys: re-signs the "
        "account JWT with revoked bus credentials.",
        default=None,
        json_schema_extra=SECRET,
    )
    nats_system_creds: Path | None = _env(
        "NATS_SYSTEM_CREDS",
        "With NATS_URL: `.creds` of a system-account user, to push revocations.",
        default=None,
    )
    bus_credential_max_days: int = _env(
        "SIGNALYARD_BUS_CREDENTIAL_MAX_DAYS",
        "Longest lifetime of a bus credential (and the lifetime when none is asked for).",
        default=90,
        ge=1,
        le=3650,
    )
    temporal_address: str | None = _env(
        "TEMPORAL_ADDRESS",
        "External Temporal frontend (host:port); unset means the embedded dev server.",
        default=None,
    )
    temporal_namespace: str = _env(
        "TEMPORAL_NAMESPACE",
        "Temporal namespace of Signalyard's workflows.",
        default="default",
        min_length=1,
    )
    temporal_tls: bool = _env(
        "TEMPORAL_TLS", "Connect to TEMPORAL_ADDRESS over TLS.", default=False
    )
    data_dir: Path = _env(
        "SIGNALYARD_DATA_DIR",
        "State directory of `signalyard dev` (embedded Postgres, NATS and Temporal data).",
        default=Path(".signalyard"),
    )
    host: str = _env("SIGNALYARD_HOST", "API bind address.", default="127.0.0.1", min_length=1)
    port: int = _env("SIGNALYARD_PORT", "API port.", default=8000, ge=1, le=65535)
    bootstrap_token: str | None = _env(
        "SIGNALYARD_BOOTSTRAP_TOKEN",
        "When set, becomes the bootstrap admin's API token (automation); must be strong.",
        default=None,
        json_schema_extra=SECRET,
    )
    event_schema: str = _env(
        "SIGNALYARD_EVENT_SCHEMA",
        "Schema holding the event store tables.",
        default="eventstore",
        min_length=1,
    )
    lock_timeout_seconds: int = _env(
        "SIGNALYARD_LOCK_TIMEOUT",
        "How long a writer waits for the event table's lock.",
        default=5,
        ge=0,
    )
    event_recorder: EventRecorder = _env(
        "SIGNALYARD_EVENT_RECORDER",
        "Append path: grouped (group commit, one table lock per group) or stock (the "
        "eventsourcing library's Postgres recorder, for comparison).",
        default="grouped",
    )
    pool_size: int = _env(
        "SIGNALYARD_POOL_SIZE", "Connections per pool (and as many overflow).", default=8, ge=1
    )
    max_body_bytes: int = _env(
        "SIGNALYARD_MAX_BODY_BYTES", "Largest JSON request body.", default=1_048_576, ge=1
    )
    blob_dir: Path | None = _env(
        "SIGNALYARD_BLOB_DIR", "Skill bundle content; unset means <data dir>/blobs.", default=None
    )
    max_bundle_bytes: int = _env(
        "SIGNALYARD_MAX_BUNDLE_BYTES",
        "Unpacked size limit of one skill bundle (else 413).",
        default=10 * 1024 * 1024,
        ge=1,
    )
    route_eval_timeout_ms: int = _env(
        "SIGNALYARD_ROUTE_EVAL_TIMEOUT_MS",
        "Wall-clock limit of one route evaluation (jq transform, CEL filter); past it the "
        "sandbox process is killed and the evaluation is an error.",
        default=1000,
        ge=10,
        le=60_000,
    )
    route_eval_memory_mb: int = _env(
        "SIGNALYARD_ROUTE_EVAL_MEMORY_MB",
        "Address-space limit (RLIMIT_AS) of each route sandbox process.",
        default=512,
        ge=128,
    )
    route_eval_workers: int = _env(
        "SIGNALYARD_ROUTE_EVAL_WORKERS",
        "Route sandbox processes per API or router process.",
        default=2,
        ge=1,
    )
    route_replay_max_events: int = _env(
        "SIGNALYARD_ROUTE_REPLAY_MAX_EVENTS",
        "Positions of the log one `:replay` page reads at most.",
        default=1000,
        ge=1,
        le=100_000,
    )
    read_your_writes_timeout_seconds: float = _env(
        "SIGNALYARD_READ_YOUR_WRITES_TIMEOUT",
        "How long a read waits for the read models to reach the caller's own writes.",
        default=5.0,
        gt=0,
    )
    log_level: LogLevel = _env(
        "SIGNALYARD_LOG_LEVEL", "Log level of every process.", default="info"
    )
    api_workers: int = _env(
        "SIGNALYARD_API_WORKERS",
        "API worker processes (uvicorn workers sharing the port).",
        default=2,
        ge=1,
    )
    api_role: Role = _env(
        "SIGNALYARD_API_ROLE",
        "Which operations `signalyard api` serves: commands (writes), queries (reads) or all.",
        default="all",
    )
    projection_batch_interval_ms: int = _env(
        "SIGNALYARD_PROJECTION_BATCH_INTERVAL_MS",
        "While events keep coming, a read model starts a batch at most this often.",
        default=50,
        ge=0,
    )
    idempotency_lease_seconds: int = _env(
        "SIGNALYARD_IDEMPOTENCY_LEASE",
        "How long an Idempotency-Key stays with a request that has not answered before a "
        "retry with the key takes over.",
        default=30,
        ge=1,
    )
    idempotency_ttl_hours: int = _env(
        "SIGNALYARD_IDEMPOTENCY_TTL_HOURS",
        "How long a used Idempotency-Key is remembered.",
        default=24,
        ge=1,
    )
    restart_limit: int = _env(
        "SIGNALYARD_RESTART_LIMIT",
        "`signalyard dev` stops everything when one child dies this often within the window.",
        default=5,
        ge=1,
    )
    restart_window_seconds: int = _env(
        "SIGNALYARD_RESTART_WINDOW_SECONDS",
        "The crash-loop window of `signalyard dev`.",
        default=60,
        ge=1,
    )
    dev_start_timeout_seconds: float = _env(
        "SIGNALYARD_DEV_START_TIMEOUT_SECONDS",
        "`signalyard dev` stops everything when its API has not answered by then.",
        default=90.0,
        gt=0,
    )

    webhook_secret_key: str | None = _env(
        "SIGNALYARD_WEBHOOK_SECRET_KEY",
        "Key sealing callback signing secrets and infra credentials (base64 of 32 bytes); "
        "unset: <data dir>/webhook-secret.key.",
        default=None,
        json_schema_extra=SECRET,
    )
    callback_allow_private: bool = _env(
        "SIGNALYARD_CALLBACK_ALLOW_PRIVATE",
        "Let callbacks reach private, loopback and link-local addresses (SSRF guard off).",
        default=False,
    )
    callback_allowed_hosts: str = _env(
        "SIGNALYARD_CALLBACK_ALLOWED_HOSTS",
        "Comma-separated host names or IP addresses callbacks may reach even if private.",
        default="",
    )
    callback_max_attempts: int = _env(
        "SIGNALYARD_CALLBACK_MAX_ATTEMPTS",
        "Tries of one callback before it is dead-lettered.",
        default=8,
        ge=1,
    )
    callback_backoff_base_seconds: float = _env(
        "SIGNALYARD_CALLBACK_BACKOFF_BASE",
        "First retry delay ceiling; doubles per try (full jitter below it).",
        default=2.0,
        ge=0,
    )
    callback_backoff_max_seconds: float = _env(
        "SIGNALYARD_CALLBACK_BACKOFF_MAX",
        "Largest retry delay ceiling.",
        default=600.0,
        ge=0,
    )
    callback_max_age_seconds: float = _env(
        "SIGNALYARD_CALLBACK_MAX_AGE",
        "A callback not delivered this long after it was scheduled is dead-lettered.",
        default=86_400.0,
        gt=0,
    )
    callback_timeout_seconds: float = _env(
        "SIGNALYARD_CALLBACK_TIMEOUT",
        "Connect/read timeout of one callback try.",
        default=10.0,
        gt=0,
    )
    health_unhealthy_after: int = _env(
        "SIGNALYARD_HEALTH_UNHEALTHY_AFTER",
        "Consecutive failed probes before an infra service is marked unhealthy.",
        default=3,
        ge=1,
    )
    runtime_image_commands: dict[str, list[str]] = _env(
        "SIGNALYARD_RUNTIME_IMAGE_COMMANDS",
        "Local runtime: JSON {image: [command, args...]}; the image itself is never pulled.",
        default_factory=dict,
    )
    runtime_dir: Path | None = _env(
        "SIGNALYARD_RUNTIME_DIR",
        "Local runtime: attempts' working directories; unset means <data dir>/runtime.",
        default=None,
    )
    runtime_kill_grace_seconds: float = _env(
        "SIGNALYARD_RUNTIME_KILL_GRACE_SECONDS",
        "Local runtime: seconds from SIGTERM to SIGKILL when an attempt is stopped.",
        default=5.0,
        ge=0,
    )
    runtime_uid_base: int = _env(
        "SIGNALYARD_RUNTIME_UID_BASE",
        "Local runtime (as root): the first user id of attempts (one each).",
        default=200_000,
        ge=1000,
    )
    runtime_uid_count: int = _env(
        "SIGNALYARD_RUNTIME_UID_COUNT",
        "Local runtime (as root): how many user ids (the most attempts at once).",
        default=10_000,
        ge=1,
    )
    runtime_cgroup_parent: Path | None = _env(
        "SIGNALYARD_RUNTIME_CGROUP_PARENT",
        "Local runtime: a delegated cgroup v2 parent; unset means the process's own.",
        default=None,
    )
    dispatcher_name: str | None = _env(
        "SIGNALYARD_DISPATCHER_NAME",
        "Dispatcher: its name (its identity and durable consumer); unset means <host>-<runtime>.",
        default=None,
        min_length=1,
        max_length=200,
    )
    agent_api_url: str | None = _env(
        "SIGNALYARD_AGENT_API_URL",
        "Dispatcher: the API URL its agents are given (SIGNALYARD_API_URL in their env);"
        " unset means SIGNALYARD_API_URL, else http://<SIGNALYARD_HOST>:<SIGNALYARD_PORT>.",
        default=None,
        min_length=1,
    )
    agent_token_grace_seconds: float = _env(
        "SIGNALYARD_AGENT_TOKEN_GRACE_SECONDS",
        "Dispatcher: an attempt token expires this long after the attempt's deadline.",
        default=300.0,
        ge=0,
    )
    agent_progress_interval_seconds: float = _env(
        "SIGNALYARD_AGENT_PROGRESS_INTERVAL_SECONDS",
        "API: an agent's progress reports (events) are at most one per attempt this often (429).",
        default=5.0,
        ge=0,
    )
    dispatcher_token: str | None = _env(
        "SIGNALYARD_DISPATCHER_TOKEN",
        "Dispatcher: its credential (minted by a platform admin, POST /v1/dispatcher-credentials);"
        " it registers, claims and reports through the API with it.",
        default=None,
        json_schema_extra=SECRET,
    )
    api_url: str | None = _env(
        "SIGNALYARD_API_URL",
        "Dispatcher: the Signalyard API it claims and reports through; unset means"
        " http://<SIGNALYARD_HOST>:<SIGNALYARD_PORT>.",
        default=None,
    )
    dispatcher_heartbeat_seconds: float = _env(
        "SIGNALYARD_DISPATCHER_HEARTBEAT_SECONDS",
        "Dispatcher: seconds between heartbeats (a table row, not an event).",
        default=2.0,
        gt=0,
    )
    dispatcher_lost_after_seconds: float = _env(
        "SIGNALYARD_DISPATCHER_LOST_AFTER_SECONDS",
        "Dispatcher: a dispatcher silent this long is lost and its tasks re-queued.",
        default=15.0,
        gt=0,
    )
    dispatcher_sweep_seconds: float = _env(
        "SIGNALYARD_DISPATCHER_SWEEP_SECONDS",
        "Dispatcher: seconds between sweeps for lost dispatchers and overdue tasks.",
        default=2.0,
        gt=0,
    )
    dispatcher_max_concurrent: int = _env(
        "SIGNALYARD_DISPATCHER_MAX_CONCURRENT",
        "Dispatcher: the most attempts it has claimed or running at once; more wait queued.",
        default=16,
        ge=1,
    )
    kubeconfig: Path | None = _env(
        "KUBECONFIG", "Kubernetes runtime: the kubeconfig file to use.", default=None
    )
    k8s_in_cluster: bool = _env(
        "SIGNALYARD_K8S_IN_CLUSTER",
        "Kubernetes runtime: use the pod's service account when KUBECONFIG is unset.",
        default=False,
    )
    k8s_namespace: str = _env(
        "SIGNALYARD_K8S_NAMESPACE",
        "Kubernetes runtime: namespace of the attempts' Jobs.",
        default="default",
        min_length=1,
    )
    k8s_ttl_seconds_after_finished: int = _env(
        "SIGNALYARD_K8S_TTL_SECONDS_AFTER_FINISHED",
        "Kubernetes runtime: seconds a finished Job (pod, Secret) is kept.",
        default=3600,
        ge=0,
    )

    @field_validator("runtime_image_commands")
    @classmethod
    def _commands(cls, commands: dict[str, list[str]]) -> dict[str, list[str]]:
        for image, command in commands.items():
            if not command or not all(command):
                raise ValueError(f"maps {image!r} to an empty command")
        return commands

    router_ack_wait_seconds: float = _env(
        "SIGNALYARD_ROUTER_ACK_WAIT",
        "Seconds before a message a router took and did not ack (it died) is delivered again.",
        default=30.0,
        gt=0,
    )
    workflow_task_queue: str = _env(
        "SIGNALYARD_WORKFLOW_TASK_QUEUE",
        "Temporal task queue of the workflow-instance worker (and of the routes that start "
        "instances).",
        default="signalyard-workflows",
        min_length=1,
        max_length=200,
    )
    workflow_activity_threads: int = _env(
        "SIGNALYARD_WORKFLOW_ACTIVITY_THREADS",
        "Activities of workflow instances one worker runs at once.",
        default=8,
        ge=1,
        le=256,
    )
    router_max_attempts: int = _env(
        "SIGNALYARD_ROUTER_MAX_ATTEMPTS",
        "Deliveries of one event before a delivery that keeps failing (Temporal away, no such "
        "workflow) becomes a dead letter.",
        default=10,
        ge=1,
    )
    router_retry_window_seconds: float = _env(
        "SIGNALYARD_ROUTER_RETRY_WINDOW",
        "Within one delivery of an event, how long the router keeps retrying while Temporal "
        "is away before it puts the event back for later.",
        default=20.0,
        ge=0,
    )

    secrets_master_key: str | None = _env(
        "SIGNALYARD_SECRETS_MASTER_KEY",
        "Local secret backend's key-encryption key (base64, 32 bytes); dev: generated once.",
        default=None,
        json_schema_extra=SECRET,
    )
    secrets_previous_master_keys: str | None = _env(
        "SIGNALYARD_SECRETS_PREVIOUS_MASTER_KEYS",
        "Earlier master keys (comma-separated), read to re-wrap data keys after a rotation.",
        default=None,
        json_schema_extra=SECRET,
    )
    secrets_transit_key: str | None = _env(
        "SIGNALYARD_SECRETS_TRANSIT_KEY",
        "Wrap data keys with this transit key on VAULT_ADDR instead of the master key.",
        default=None,
    )
    secrets_max_value_bytes: int = _env(
        "SIGNALYARD_SECRETS_MAX_VALUE_BYTES",
        "Largest secret value (else 413).",
        default=65536,
        ge=1,
    )
    vault_addr: str | None = _env(
        "VAULT_ADDR",
        "Vault/OpenBao of the vault secret backend; unset: embedded OpenBao (dev, in memory).",
        default=None,
    )
    vault_token: str | None = _env(
        "VAULT_TOKEN", "Vault token (or use AppRole).", default=None, json_schema_extra=SECRET
    )
    vault_role_id: str | None = _env("VAULT_ROLE_ID", "Vault AppRole role id.", default=None)
    vault_secret_id: str | None = _env(
        "VAULT_SECRET_ID", "Vault AppRole secret id.", default=None, json_schema_extra=SECRET
    )
    vault_kv_mount: str = _env(
        "VAULT_KV_MOUNT", "KV v2 mount of vault secrets.", default="secret", min_length=1
    )
    vault_path_prefix: str = _env(
        "VAULT_PATH_PREFIX",
        "Vault secrets must lie under this path of the KV mount.",
        default="signalyard/",
    )
    secrets_aws_region: str | None = _env(
        "SIGNALYARD_SECRETS_AWS_REGION",
        "AWS Secrets Manager region of the aws backend (needs boto3); unset: none.",
        default=None,
    )

    @field_validator("secrets_master_key")
    @classmethod
    def _master_key(cls, key: str | None) -> str | None:
        import base64
        import binascii

        if key:
            try:
                raw = base64.b64decode(key.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("must be base64 (of 32 random bytes)") from None
            if len(raw) != 32:
                raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
        return key or None

    @field_validator("event_recorder", "log_level", "api_role", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("bootstrap_token")
    @classmethod
    def _strong(cls, token: str | None) -> str | None:
        """A token chosen by an operator becomes an admin credential: refuse a guessable one."""
        if token and (len(token) < MIN_TOKEN_LENGTH or len(set(token)) < MIN_TOKEN_DISTINCT):
            raise ValueError(
                f"is too weak: use at least {MIN_TOKEN_LENGTH} characters with at least"
                f" {MIN_TOKEN_DISTINCT} different ones (e.g. `python3 -c 'import secrets;"
                ' print("syd_" + secrets.token_urlsafe(32))\'`)'
            )
        return token or None

    @classmethod
    def settings_customise_sources(  # type: ignore[override]
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        # Settings(...) is exactly what it is given; the environment is read by from_env only.
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from `env` (default: os.environ); a bad value exits with its rule."""
        return cls._checked(_MappingEnvSource(cls, os.environ if env is None else env)())

    @classmethod
    def _checked(cls, values: dict[str, Any]) -> Settings:
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SystemExit("\n".join(_explain(cls, error) for error in exc.errors())) from None

    @property
    def callback_hosts(self) -> frozenset[str]:
        return frozenset(
            h.strip().lower() for h in self.callback_allowed_hosts.split(",") if h.strip()
        )

    @property
    def webhook_key_file(self) -> Path:
        return self.data_dir / "webhook-secret.key"

    @property
    def runtime_path(self) -> Path:
        return self.runtime_dir if self.runtime_dir is not None else self.data_dir / "runtime"

    @property
    def agent_api_base_url(self) -> str:
        """Where agents reach the API: SIGNALYARD_AGENT_API_URL, else the dispatcher's."""
        return self.agent_api_url or self.dispatcher_api_url

    @property
    def dispatcher_api_url(self) -> str:
        """Where a dispatcher reaches the API: SIGNALYARD_API_URL, else this host and port."""
        if self.api_url:
            return self.api_url
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def blob_path(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def log_path(self) -> Path:
        """Attempt logs beside the blob store: the API reads what the dispatcher wrote."""
        return self.blob_path / "logs"

    def with_overrides(self, **changes: object) -> Settings:
        """These values instead (None keeps the current one), checked as from_env checks."""
        values = {**self.model_dump(), **{k: v for k, v in changes.items() if v is not None}}
        return self._checked(values)

    @classmethod
    def env_name(cls, field: str) -> str:
        return str(cls.model_fields[field].validation_alias)

    @classmethod
    def is_secret(cls, field: str) -> bool:
        return cls.model_fields[field].json_schema_extra == SECRET


class _MappingEnvSource(EnvSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._mapping.items() if v != ""}


def _explain(settings_cls: type[Settings], error: Any) -> str:
    """One line per bad variable, naming it as the operator wrote it."""
    loc = error["loc"][0] if error["loc"] else ""
    field = next(
        (f for f, info in settings_cls.model_fields.items() if loc in (f, info.validation_alias)),
        None,
    )
    name = settings_cls.env_name(field) if field else str(loc)
    given = error.get("input")
    ctx = error.get("ctx") or {}
    rule = {
        "int_parsing": "must be an integer",
        "float_parsing": "must be a number",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "literal_error": f"must be one of {ctx.get('expected', '').replace(chr(39), '')}",
        "string_too_short": "must not be empty",
    }.get(error["type"])
    if rule is None:  # our own validators word their rule themselves
        return f"{name} {str(error['msg']).removeprefix('Value error, ')}"
    shown = "***" if field and settings_cls.is_secret(field) else repr(given)
    return f"{name} {rule}, got {shown}"
