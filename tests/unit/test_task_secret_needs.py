"""What a task may declare about the secrets its attempts get, and how each reaches the
runtime: env variables (secretKeyRef on Kubernetes) and 0400 files, never in a repr."""

from __future__ import annotations

import base64
import json

import kubernetes_validate
import pytest
from kubernetes import client

from domain.core.errors import InvalidInput, NotFound
from domain.tasks.secret_needs import check_resolvable, validate_secret_needs
from workers.runtimes.kubernetes import manifests
from workers.runtimes.kubernetes.validation import validate
from workers.runtimes.spec import LaunchSpec, SecretMaterial
from workers.runtimes.workspace import BadLaunchContent, planned_files, secret_env

VALUE = b"sk-live-0123456789-do-not-print"


def test_env_and_file_declarations_are_kept_as_given() -> None:
    needs = validate_secret_needs(
        [
            {"name": "openai-key", "as": "env", "env_var": "OPENAI_API_KEY"},
            {"name": "openai-key", "as": "file", "path": "secrets/openai", "version": 2},
        ]
    )
    assert needs == [
        {"name": "openai-key", "as": "env", "env_var": "OPENAI_API_KEY"},
        {"name": "openai-key", "as": "file", "path": "secrets/openai", "version": 2},
    ]
    assert validate_secret_needs(None) == []


@pytest.mark.parametrize(
    ("need", "field"),
    [
        ({"name": "k", "as": "env", "env_var": "SIGNALYARD_TASK_ID"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env", "env_var": "signalyard_agent_token"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env", "env_var": "LD_PRELOAD"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env", "env_var": "PATH"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env", "env_var": "1ABC"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env", "env_var": "A-B"}, "secrets[0].env_var"),
        ({"name": "k", "as": "env"}, "secrets[0].env_var"),
        ({"name": "k", "as": "file", "path": "/etc/passwd"}, "secrets[0].path"),
        ({"name": "k", "as": "file", "path": "../up"}, "secrets[0].path"),
        ({"name": "k", "as": "file", "path": "a/../../b"}, "secrets[0].path"),
        ({"name": "k", "as": "file", "path": "brief.md"}, "secrets[0].path"),
        ({"name": "k", "as": "file", "path": "configs/llm"}, "secrets[0].path"),
        ({"name": "k", "as": "file", "path": "a", "env_var": "A"}, "secrets[0].env_var"),
        ({"name": "k", "as": "volume", "path": "a"}, "secrets[0].as"),
        ({"name": "k", "as": "env", "env_var": "A", "version": 0}, "secrets[0].version"),
        ({"name": "", "as": "env", "env_var": "A"}, "secrets[0].name"),
        ({"name": "k", "as": "env", "env_var": "A", "value": "x"}, "secrets[0]"),
    ],
)
def test_a_bad_declaration_is_refused_naming_its_field(need: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_secret_needs([need])
    assert refused.value.field == field


def test_two_secrets_cannot_land_in_one_place() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_secret_needs(
            [
                {"name": "a", "as": "file", "path": "keys/k"},
                {"name": "b", "as": "file", "path": "KEYS/k"},
            ]
        )
    assert refused.value.field == "secrets[1].path"


def test_a_name_that_does_not_resolve_is_refused_naming_it() -> None:
    def find(name: str, version: int | None) -> None:
        if name != "known":
            raise NotFound(f"secret {name!r} not found for this task's scope", field="name")
        if version == 9:
            raise NotFound("secret 'known' has no version 9", field="version")

    needs = validate_secret_needs(
        [
            {"name": "known", "as": "env", "env_var": "A"},
            {"name": "missing", "as": "env", "env_var": "B"},
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        check_resolvable(needs, find)
    assert refused.value.field == "secrets[1].name" and "missing" in refused.value.message
    pinned = validate_secret_needs([{"name": "known", "as": "env", "env_var": "A", "version": 9}])
    with pytest.raises(InvalidInput) as refused:
        check_resolvable(pinned, find)
    assert refused.value.field == "secrets[0].version"


def _spec(**fields) -> LaunchSpec:
    secrets = (
        SecretMaterial("openai-key", "env", "OPENAI_API_KEY", VALUE),
        SecretMaterial("openai-key", "file", "secrets/openai", VALUE),
    )
    return LaunchSpec(
        "org-1", "project-1", "task-1", 2, "busybox", command=("run",), secrets=secrets, **fields
    )


def test_no_value_shows_in_the_spec_or_its_planned_files() -> None:
    spec = _spec()
    files = planned_files(spec)
    assert VALUE.decode() not in repr(spec) and VALUE.decode() not in repr(files)
    secret_file = next(f for f in files if f.path == "secrets/openai")
    assert (secret_file.content, secret_file.mode) == (VALUE, 0o400)
    assert secret_env(spec) == {"OPENAI_API_KEY": VALUE.decode()}


def test_a_secret_that_is_not_text_cannot_be_an_env_variable() -> None:
    spec = LaunchSpec(
        "org-1", "p", "t", 1, "busybox", secrets=(SecretMaterial("bin", "env", "B", b"\xff\x00"),)
    )
    with pytest.raises(BadLaunchContent) as refused:
        secret_env(spec)
    assert "deliver it as a file" in str(refused.value) and "\\xff" not in str(refused.value)


def test_on_kubernetes_the_values_live_only_in_the_attempts_owned_secret() -> None:
    spec = _spec()
    name = manifests.job_name(spec)
    _, items = manifests.secret(spec, name)
    job = manifests.as_manifest(manifests.job(spec, name, items, ttl_seconds=600))
    owner = client.V1Job(metadata=client.V1ObjectMeta(name=name, uid="job-uid-1"))
    secret = manifests.as_manifest(manifests.secret(spec, name, owner=owner)[0])
    for document in (job, secret):
        validate(document)
        assert kubernetes_validate.validate(document, "1.37.0", strict=True) == "1.37"
    text = json.dumps(job)
    assert VALUE.decode() not in text and VALUE.hex() not in text
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    reference = env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == name == secret["metadata"]["name"]
    assert base64.b64decode(secret["data"][reference["key"]]) == VALUE
    volume = next(v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "attempt")
    item = next(i for i in volume["secret"]["items"] if i["path"] == "secrets/openai")
    assert item["mode"] == 0o400 and base64.b64decode(secret["data"][item["key"]]) == VALUE
    assert secret["metadata"]["ownerReferences"][0]["uid"] == "job-uid-1"
