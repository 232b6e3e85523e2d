"""Secret backends at their boundaries: local ciphertext bound to org, secret and version;
master-key wrapping bound to the org; the aws backend against a named fake client."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from support.fake_secretsmanager import FakeSecretsManager

from domain.core.errors import InvalidInput
from domain.secrets.errors import BackendUnavailable, SecretGone
from domain.secrets.ports import SecretLocator
from workers.adapters.secret_backends.aws import AwsBackend
from workers.adapters.secret_backends.kek import MasterKey, parse_master_key
from workers.adapters.secret_backends.local import LocalBackend

ORG, SECRET = uuid.uuid4(), uuid.uuid4()
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"


class OneKeyPerOrg:
    """The data-key store's interface, in memory."""

    def __init__(self) -> None:
        self.keys: dict[uuid.UUID, bytes] = {}

    def data_key(self, org_id: uuid.UUID, *, create: bool) -> bytes:
        if create:
            self.keys.setdefault(org_id, os.urandom(32))
        return self.keys[org_id]


def test_local_ciphertext_opens_only_for_its_org_secret_and_version():
    keys = OneKeyPerOrg()
    backend = LocalBackend(keys)  # type: ignore[arg-type]
    at = SecretLocator(ORG, SECRET, 1, "")
    stored = backend.put(at, b"hunter2-value")
    assert b"hunter2" not in base64.b64decode(stored["ciphertext"])
    assert backend.get(at, stored) == b"hunter2-value"
    keys.keys[uuid.UUID(int=0)] = keys.keys[ORG]  # even with the same key, another org...
    for other in (
        SecretLocator(ORG, SECRET, 2, ""),
        SecretLocator(ORG, uuid.uuid4(), 1, ""),
        SecretLocator(uuid.UUID(int=0), SECRET, 1, ""),
    ):
        with pytest.raises(SecretGone, match="does not open"):
            backend.get(other, stored)


def test_a_wrapped_data_key_opens_only_with_its_master_key_and_org():
    kek = MasterKey(os.urandom(32))
    wrapped = kek.wrap(b"k" * 32, ORG)
    assert kek.unwrap(wrapped, ORG) == b"k" * 32
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        kek.unwrap(wrapped, uuid.uuid4())
    with pytest.raises(Exception):  # noqa: B017
        MasterKey(os.urandom(32)).unwrap(wrapped, ORG)
    assert "MasterKey(master:" in repr(kek)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused_without_echoing_it(bad):
    with pytest.raises(ValueError) as caught:
        parse_master_key(bad)
    assert bad not in str(caught.value)


def test_aws_pins_the_current_version_and_reads_that_version_later():
    fake = FakeSecretsManager()
    fake.put(ARN, "first")
    backend = AwsBackend(fake)
    path = backend.check_path(ARN, has_value=False)
    stored = backend.put(SecretLocator(ORG, SECRET, 1, path), None)
    fake.put(ARN, "second")
    assert backend.get(SecretLocator(ORG, SECRET, 1, path), stored) == b"first"
    newer = backend.put(SecretLocator(ORG, SECRET, 2, path), None)
    assert backend.get(SecretLocator(ORG, SECRET, 2, path), newer) == b"second"


def test_aws_refuses_values_and_bad_arns_and_reports_gone_and_down():
    fake = FakeSecretsManager()
    backend = AwsBackend(fake)
    with pytest.raises(InvalidInput) as caught:
        backend.check_path(ARN, has_value=True)
    assert caught.value.field == "value"
    with pytest.raises(InvalidInput) as caught:
        backend.check_path("arn:aws:s3:::bucket", has_value=False)
    assert caught.value.field == "path_or_arn"
    with pytest.raises(InvalidInput):
        backend.put(SecretLocator(ORG, SECRET, 1, ARN), None)  # no such secret in AWS
    at = SecretLocator(ORG, SECRET, 1, ARN)
    with pytest.raises(SecretGone, match="ResourceNotFound"):
        backend.get(at, {"arn": ARN, "version_id": "gone"})
    fake.put(ARN, "v")
    fake.down = True
    with pytest.raises(BackendUnavailable) as down:
        backend.get(at, {"arn": ARN, "version_id": fake.current[ARN]})
    assert down.value.backend == "aws"


def test_aws_never_takes_a_value_even_on_rotation():
    fake = FakeSecretsManager()
    fake.put(ARN, "v")
    with pytest.raises(InvalidInput) as caught:
        AwsBackend(fake).put(SecretLocator(ORG, SECRET, 2, ARN), b"dropped?")
    assert caught.value.field == "value"
