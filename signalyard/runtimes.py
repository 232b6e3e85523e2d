"""Builds the runtime a dispatcher runs attempts on, from the settings."""

from __future__ import annotations

from typing import Literal

from kubernetes import client, config

from signalyard.settings import Settings
from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import Runtime
from workers.runtimes.kubernetes.runtime import KubernetesRuntime
from workers.runtimes.local.runtime import LocalRuntime

RuntimeKind = Literal["local", "kubernetes"]


def log_store(settings: Settings) -> FileLogStore:
    """Attempt logs beside the blob store, so the API reads what the dispatcher wrote."""
    return FileLogStore(settings.log_path)


def build_runtime(settings: Settings, kind: RuntimeKind) -> Runtime:
    if kind == "local":
        return LocalRuntime(
            settings.runtime_path,
            log_store(settings),
            image_commands={k: tuple(v) for k, v in settings.runtime_image_commands.items()},
            kill_grace_seconds=settings.runtime_kill_grace_seconds,
            uid_base=settings.runtime_uid_base,
            uid_count=settings.runtime_uid_count,
            cgroup_parent=settings.runtime_cgroup_parent,
        )
    return KubernetesRuntime(
        kubernetes_client(settings),
        namespace=settings.k8s_namespace,
        ttl_seconds_after_finished=settings.k8s_ttl_seconds_after_finished,
        logs=log_store(settings),
    )


def kubernetes_client(settings: Settings) -> client.ApiClient:
    if settings.kubeconfig is not None:
        return config.new_client_from_config(config_file=str(settings.kubeconfig))
    if settings.k8s_in_cluster:
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    raise SystemExit("the kubernetes runtime needs KUBECONFIG or SIGNALYARD_K8S_IN_CLUSTER=true")
