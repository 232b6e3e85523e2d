"""The composition root builds each runtime from the settings alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.kube_api import KubeApi

from signalyard.runtimes import build_runtime
from signalyard.settings import Settings
from workers.runtimes.interface import Exited
from workers.runtimes.kubernetes.runtime import KubernetesRuntime
from workers.runtimes.local.runtime import LocalRuntime
from workers.runtimes.spec import LaunchSpec

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "%s"}}]
users: [{name: test, user: {token: test-token}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
"""


def test_the_local_runtime_runs_the_command_mapped_to_an_image(service_dir: Path) -> None:
    settings = Settings.from_env(
        {
            "SIGNALYARD_DATA_DIR": str(service_dir),
            "SIGNALYARD_RUNTIME_IMAGE_COMMANDS": '{"acme/agent:1": ["/bin/echo", "hello"]}',
        }
    )
    runtime = build_runtime(settings, "local")
    assert isinstance(runtime, LocalRuntime) and runtime.root == service_dir / "runtime"

    async def scenario() -> None:
        handle = await runtime.start(LaunchSpec("org-1", "project-1", "task-1", 1, "acme/agent:1"))
        assert [c async for c in runtime.watch(handle)][-1] == Exited(0)
        assert await runtime.logs(handle) == b"hello\n"

    asyncio.run(scenario())
    assert (service_dir / "blobs" / "logs" / "org-1" / "project-1" / "task-1" / "1.log").exists()


def test_the_kubernetes_runtime_talks_to_the_cluster_of_the_kubeconfig(tmp_path: Path) -> None:
    kube = KubeApi()
    try:
        (tmp_path / "config").write_text(KUBECONFIG % kube.url)
        settings = Settings.from_env(
            {"KUBECONFIG": str(tmp_path / "config"), "SIGNALYARD_K8S_NAMESPACE": "agents"}
        )
        runtime = build_runtime(settings, "kubernetes")
        assert isinstance(runtime, KubernetesRuntime)
        handle = asyncio.run(runtime.start(LaunchSpec("org-1", "project-1", "t", 1, "busybox")))
        assert handle.namespace == "agents"
        created = kube.calls("POST", "/namespaces/agents/jobs")[0]
        assert created.body["spec"]["ttlSecondsAfterFinished"] == 3600
    finally:
        kube.close()
