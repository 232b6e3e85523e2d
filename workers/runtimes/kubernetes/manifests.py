"""The objects of one attempt on Kubernetes: a `batch/v1` Job and the Secret holding its
brief, skills, configs, files, agent token and the task's resolved secrets (owned by the
Job, so deleted with it). Secret env variables are `secretKeyRef`s into that Secret, secret
files items of its volume (mode 0400): no value is ever in the Job.

The Job starts suspended: its Secret can only name the Job as owner once the Job has a
uid, and the pod must not start before its Secret exists.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from typing import Any

from kubernetes import client

from workers.runtimes.spec import LaunchSpec
from workers.runtimes.workspace import BadLaunchContent, agent_env, planned_files, secret_env

MOUNT = "/signalyard"
WORKSPACE = "/workspace"
AGENT = "agent"
NON_ROOT_ID = 65532
TOKEN_KEY = "agent-token"
SECRET_ENV_KEY = "secret-env"
SECRET_LIMIT = 1024 * 1024  # what the API server accepts for one Secret
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$")
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def job_name(spec: LaunchSpec) -> str:
    """A DNS-1123 label, unique per attempt, readable when it can be."""
    base = _NOT_DNS.sub("-", spec.task_id.lower()).strip("-")
    name = f"sy-{base}-{spec.attempt}"
    if len(name) <= 63 and base:
        return name
    digest = hashlib.sha256(spec.attempt_name.encode()).hexdigest()[:12]
    return f"sy-{base[:36].strip('-')}-{digest}-{spec.attempt}"


def labels(spec: LaunchSpec) -> dict[str, str]:
    values = {
        "app.kubernetes.io/managed-by": "signalyard",
        "signalyard.io/org": spec.org_id,
        "signalyard.io/project": spec.project_id,
        "signalyard.io/task": spec.task_id,
        "signalyard.io/attempt": str(spec.attempt),
    }
    for key, value in values.items():
        if not _LABEL_VALUE.match(value):
            raise BadLaunchContent(f"{value!r} cannot be the value of label {key}")
    return values


def secret(
    spec: LaunchSpec, name: str, owner: client.V1Job | None = None
) -> tuple[client.V1Secret, list[client.V1KeyToPath]]:
    """The Secret's data and the volume items that lay it out as the local runtime would."""
    data: dict[str, str] = {}
    items = []
    for index, planned in enumerate(planned_files(spec)):
        key = f"file-{index}"
        data[key] = base64.b64encode(planned.content).decode()
        items.append(client.V1KeyToPath(key=key, path=planned.path, mode=planned.mode))
    if spec.agent_token:
        data[TOKEN_KEY] = base64.b64encode(spec.agent_token.encode()).decode()
    for index, (_, value) in enumerate(sorted(secret_env(spec).items())):
        data[f"{SECRET_ENV_KEY}-{index}"] = base64.b64encode(value.encode()).decode()
    size = sum(len(value) * 3 // 4 for value in data.values())
    if size > SECRET_LIMIT:
        raise BadLaunchContent(f"the attempt's files are {size} bytes; a Secret holds 1 MiB")
    references = owned_by(owner) if owner is not None else None
    metadata = client.V1ObjectMeta(name=name, labels=labels(spec), owner_references=references)
    return client.V1Secret(
        api_version="v1", kind="Secret", metadata=metadata, type="Opaque", data=data
    ), items


def owned_by(job: client.V1Job) -> list[client.V1OwnerReference]:
    return [
        client.V1OwnerReference(
            api_version="batch/v1", kind="Job", name=job.metadata.name, uid=job.metadata.uid
        )
    ]


def job(
    spec: LaunchSpec, name: str, items: list[client.V1KeyToPath], ttl_seconds: int
) -> client.V1Job:
    quantity = {"cpu": f"{max(1, round(spec.cpu * 1000))}m", "memory": f"{spec.memory_mib}Mi"}
    env = [client.V1EnvVar(name=k, value=v) for k, v in sorted(agent_env(spec, MOUNT).items())]
    if spec.agent_token:
        token = client.V1SecretKeySelector(name=name, key=TOKEN_KEY)
        env.append(
            client.V1EnvVar(
                name="SIGNALYARD_AGENT_TOKEN",
                value_from=client.V1EnvVarSource(secret_key_ref=token),
            )
        )
    for index, variable in enumerate(sorted(secret_env(spec))):
        reference = client.V1SecretKeySelector(name=name, key=f"{SECRET_ENV_KEY}-{index}")
        env.append(
            client.V1EnvVar(
                name=variable, value_from=client.V1EnvVarSource(secret_key_ref=reference)
            )
        )
    env += [
        client.V1EnvVar(name="HOME", value=WORKSPACE),
        client.V1EnvVar(name="TMPDIR", value="/tmp"),
    ]
    container = client.V1Container(
        name=AGENT,
        image=spec.image,
        command=list(spec.command) or None,  # none: the image's own entrypoint
        env=env,
        working_dir=WORKSPACE,
        resources=client.V1ResourceRequirements(requests=quantity, limits=quantity),
        security_context=client.V1SecurityContext(
            run_as_non_root=True,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=client.V1Capabilities(drop=["ALL"]),
        ),
        volume_mounts=[
            client.V1VolumeMount(name="attempt", mount_path=MOUNT, read_only=True),
            client.V1VolumeMount(name="workspace", mount_path=WORKSPACE),
            client.V1VolumeMount(name="tmp", mount_path="/tmp"),
        ],
    )
    pod = client.V1PodSpec(
        restart_policy="Never",
        automount_service_account_token=False,  # an agent has no business with the cluster
        enable_service_links=False,
        security_context=client.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=NON_ROOT_ID,
            run_as_group=NON_ROOT_ID,
            fs_group=NON_ROOT_ID,
            seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"),
        ),
        containers=[container],
        volumes=[
            client.V1Volume(
                name="attempt",
                secret=client.V1SecretVolumeSource(
                    secret_name=name, default_mode=0o400, items=items
                ),
            ),
            client.V1Volume(name="workspace", empty_dir=client.V1EmptyDirVolumeSource()),
            client.V1Volume(name="tmp", empty_dir=client.V1EmptyDirVolumeSource()),
        ],
    )
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(name=name, labels=labels(spec)),
        spec=client.V1JobSpec(
            suspend=True,
            backoff_limit=0,  # retries are Signalyard's: a new attempt, fenced by its number
            active_deadline_seconds=max(1, math.ceil(spec.timeout_seconds)),
            ttl_seconds_after_finished=ttl_seconds,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels(spec)), spec=pod
            ),
        ),
    )


def as_manifest(obj: Any) -> dict[str, Any]:
    """The camelCase document the API server receives."""
    manifest: dict[str, Any] = client.ApiClient().sanitize_for_serialization(obj)
    return manifest
