"""The Job and Secret of an attempt are valid for Kubernetes 1.37 (official schemas, strict,
plus the enum values the schemas leave unchecked) and say what the attempt needs."""

from __future__ import annotations

import copy
import json
from typing import Any

import kubernetes_validate
import pytest
from kubernetes import client
from support.skill_bundles import as_zip, realistic_files

from workers.runtimes.kubernetes import manifests
from workers.runtimes.kubernetes.validation import InvalidManifest, validate
from workers.runtimes.spec import LaunchFile, LaunchSpec, SkillBundle
from workers.runtimes.workspace import BadLaunchContent

SPECS = {
    "everything": LaunchSpec(
        "org-1", "project-1", "0b9d2c1e-6f1a-4d8e-9a51-3f5b2c7d9e10", 2, "ghcr.io/acme/agent:1.4",
        command=("agent", "--run"), env={"MODE": "fast"}, cpu=0.5, memory_mib=768,
        timeout_seconds=90.5, brief="Fill in the form.",
        skills=(SkillBundle("pdf-forms", 3, as_zip(realistic_files())),),
        configs={"llm": '{"model": "small"}'}, files=(LaunchFile("secrets/key", b"k"),),
        agent_token="tok-1", api_url="https://signalyard.example",
    ),
    "image entrypoint": LaunchSpec("org-1", "project-1", "task_2", 1, "busybox"),
}  # fmt: skip


def _documents(spec: LaunchSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    name = manifests.job_name(spec)
    secret, items = manifests.secret(spec, name)
    job = manifests.job(spec, name, items, ttl_seconds=600)
    created = client.V1Job(metadata=client.V1ObjectMeta(name=name, uid="5f0c-uid"))
    owned, _ = manifests.secret(spec, name, owner=created)
    return manifests.as_manifest(job), manifests.as_manifest(owned)


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_the_job_and_secret_validate_against_kubernetes_1_37(spec: LaunchSpec) -> None:
    job, secret = _documents(spec)
    for document in (job, secret):
        validate(document)
        assert kubernetes_validate.validate(document, "1.37.0", strict=True) == "1.37"


def test_the_job_carries_limits_labels_deadline_and_a_locked_down_pod() -> None:
    spec = SPECS["everything"]
    job, secret = _documents(spec)
    assert job["metadata"]["name"] == "sy-0b9d2c1e-6f1a-4d8e-9a51-3f5b2c7d9e10-2"
    assert job["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "signalyard",
        "signalyard.io/org": "org-1",
        "signalyard.io/project": "project-1",
        "signalyard.io/task": spec.task_id,
        "signalyard.io/attempt": "2",
    }
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 91
    assert job["spec"]["ttlSecondsAfterFinished"] == 600
    pod = job["spec"]["template"]["spec"]
    assert job["spec"]["template"]["metadata"]["labels"] == job["metadata"]["labels"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["command"] == ["agent", "--run"]
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "768Mi"},
        "limits": {"cpu": "500m", "memory": "768Mi"},
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }
    env = {e["name"]: e for e in container["env"]}
    assert env["SIGNALYARD_CONFIG_LLM"]["value"] == "/signalyard/configs/llm"
    assert env["MODE"]["value"] == "fast"
    assert env["SIGNALYARD_AGENT_TOKEN"] == {
        "name": "SIGNALYARD_AGENT_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": job["metadata"]["name"], "key": "agent-token"}},
    }
    assert "tok-1" not in json.dumps(job)  # the token lives only in the Secret
    volume = next(v for v in pod["volumes"] if v["name"] == "attempt")["secret"]
    paths = {item["path"]: item["mode"] for item in volume["items"]}
    assert paths["brief.md"] == 0o400 and paths["secrets/key"] == 0o400
    assert paths["skills/pdf-forms/SKILL.md"] == 0o400
    assert paths["skills/pdf-forms/scripts/fill.sh"] == 0o500
    assert secret["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": job["metadata"]["name"],
            "uid": "5f0c-uid",
        }
    ]
    assert set(secret["data"]) == {item["key"] for item in volume["items"]} | {"agent-token"}


def test_without_a_command_the_image_entrypoint_runs() -> None:
    job, _ = _documents(SPECS["image entrypoint"])
    assert "command" not in job["spec"]["template"]["spec"]["containers"][0]
    assert job["metadata"]["name"] == "sy-task-2-1"


def _broken(change: str) -> dict[str, Any]:
    job = copy.deepcopy(_documents(SPECS["everything"])[0])
    pod = job["spec"]["template"]["spec"]
    if change == "restartPolicy Always":
        pod["restartPolicy"] = "Always"
    elif change == "unknown field":
        pod["containers"][0]["imagePullPolicyy"] = "Never"
    elif change == "seccomp":
        pod["securityContext"]["seccompProfile"]["type"] = "Default"
    elif change == "capabilities":
        pod["containers"][0]["securityContext"]["capabilities"]["drop"] = ["NET_RAW"]
    elif change == "wrong type":
        job["spec"]["backoffLimit"] = "0"
    return job


@pytest.mark.parametrize(
    "change", ["restartPolicy Always", "unknown field", "seccomp", "capabilities", "wrong type"]
)
def test_validation_refuses_what_the_api_server_would(change: str) -> None:
    with pytest.raises(InvalidManifest):
        validate(_broken(change))


def test_every_schema_error_is_named_at_once() -> None:
    job = _broken("unknown field")
    job["spec"]["backoffLimit"] = "0"
    with pytest.raises(InvalidManifest) as refused:
        validate(job)
    assert "spec/backoffLimit" in str(refused.value) and "imagePullPolicyy" in str(refused.value)


def test_an_attempt_too_large_for_a_secret_is_refused() -> None:
    big = LaunchSpec("org-1", "project-1", "t", 1, "img", brief="x" * (1024 * 1024 + 1))
    with pytest.raises(BadLaunchContent, match="1 MiB"):
        manifests.secret(big, "sy-t-1")


def test_an_id_that_cannot_be_a_label_value_is_refused() -> None:
    spec = LaunchSpec("org-1", "project-1", "t" * 70, 1, "img")
    with pytest.raises(BadLaunchContent, match="label"):
        manifests.labels(spec)
