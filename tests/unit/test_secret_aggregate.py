"""The Secret aggregate's rules, without I/O."""

from __future__ import annotations

import uuid

import pytest

from domain.core.context import system_context
from domain.core.errors import InvalidInput, NotFound
from domain.secrets.ledger import SecretAccess
from domain.secrets.secret import Secret, validate_backend, validate_secret_name

META = system_context().meta(None)


def _secret(**overrides) -> Secret:
    fields = {
        "organization_id": uuid.uuid4(),
        "team_id": None,
        "workspace_id": None,
        "name": "API_KEY",
        "slug": "api-key",
        "description": "",
        "category": "generic",
        "backend": "local",
        "path_or_arn": "",
        "inherit": True,
        "meta": META,
    }
    return Secret(**{**fields, **overrides})


def test_the_id_follows_from_scope_and_name_so_it_is_known_before_the_value_is_stored():
    org = uuid.uuid4()
    assert _secret(organization_id=org).id == _secret(organization_id=org).id
    assert _secret(organization_id=org).id != _secret(organization_id=org, slug="other").id
    assert _secret(organization_id=org).id != _secret(organization_id=org, team_id=org).id


def test_rotation_appends_versions_and_keeps_only_what_the_backend_returned():
    secret = _secret()
    assert secret.add_version({"ciphertext": "c1", "cipher": "AES-256-GCM"}, META) == 1
    assert secret.add_version({"ciphertext": "c2", "cipher": "AES-256-GCM"}, META) == 2
    assert secret.encrypted_value == "c2" and secret.stored(1)["ciphertext"] == "c1"
    with pytest.raises(NotFound):
        secret.stored(3)
    secret.soft_delete(META)
    with pytest.raises(InvalidInput):
        secret.add_version({"ciphertext": "c3"}, META)


@pytest.mark.parametrize("name", ["", "1X", "a b", "x" * 129, None, "é"])
def test_names_are_env_var_like(name):
    with pytest.raises(InvalidInput):
        validate_secret_name(name)


def test_only_known_backends():
    assert validate_backend("vault") == "vault"
    with pytest.raises(InvalidInput) as caught:
        validate_backend("gcp")
    assert caught.value.field == "backend"


def test_one_ledger_entry_per_secret_task_and_attempt():
    secret, task = uuid.uuid4(), uuid.uuid4()
    assert SecretAccess.create_id(secret, task, 1) == SecretAccess.create_id(secret, task, 1)
    assert SecretAccess.create_id(secret, task, 1) != SecretAccess.create_id(secret, task, 2)
