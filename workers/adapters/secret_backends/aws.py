"""The aws backend: an ARN of AWS Secrets Manager, read through a pluggable client.

The client protocol is the subset of boto3's `secretsmanager` client used here (same
method names, arguments and answers), so `boto3.client("secretsmanager")` plugs in as is.
Values are written in AWS, not through Signalyard: create and rotate pin the secret's
current VersionId. AWS is not reachable from this project's test machines: the backend is
tested at this boundary with a named fake (tests/support/fake_secretsmanager.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from domain.core.errors import InvalidInput
from domain.secrets.errors import BackendUnavailable, SecretGone
from domain.secrets.ports import SecretLocator, StoredVersion

ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$")
_GONE = {"ResourceNotFoundException", "InvalidRequestException"}
_UNAVAILABLE = {"InternalServiceError", "ThrottlingException", "ServiceUnavailable"}


class SecretsManagerClient(Protocol):
    def describe_secret(self, *, SecretId: str) -> Mapping[str, Any]: ...  # noqa: N803

    def get_secret_value(self, *, SecretId: str, VersionId: str) -> Mapping[str, Any]: ...  # noqa: N803


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


class AwsBackend:
    def __init__(self, client: SecretsManagerClient) -> None:
        self.client = client

    def check_path(self, path_or_arn: str | None, has_value: bool) -> str:
        if has_value:
            raise InvalidInput(
                "aws secrets are written in AWS: give path_or_arn only", field="value"
            )
        if not path_or_arn or not ARN.match(path_or_arn):
            raise InvalidInput("path_or_arn must be a Secrets Manager ARN", field="path_or_arn")
        return path_or_arn

    def _call(self, what: str, call: Any) -> Mapping[str, Any]:
        try:
            answer: Mapping[str, Any] = call()
            return answer
        except Exception as exc:
            code = _code(exc)
            if code in _GONE:
                raise SecretGone(f"AWS says {code} ({what})") from None
            if (
                code in _UNAVAILABLE
                or "Connect" in type(exc).__name__
                or "Timeout" in type(exc).__name__
            ):
                raise BackendUnavailable(f"AWS does not answer ({what})", backend="aws") from None
            raise

    def put(self, at: SecretLocator, value: bytes | None) -> StoredVersion:
        if value is not None:
            raise InvalidInput(
                "aws secrets are written in AWS: rotate without a value", field="value"
            )
        arn = at.path_or_arn
        try:
            described = self._call("describe", lambda: self.client.describe_secret(SecretId=arn))
        except SecretGone:
            raise InvalidInput("no such secret in AWS", field="path_or_arn") from None
        stages = described.get("VersionIdsToStages") or {}
        current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
        if current is None:
            raise InvalidInput("the AWS secret has no current version", field="path_or_arn")
        return {"arn": arn, "version_id": current}

    def get(self, at: SecretLocator, stored: StoredVersion) -> bytes:
        arn, version_id = stored["arn"], stored["version_id"]
        answer = self._call(
            "read",
            lambda: self.client.get_secret_value(SecretId=arn, VersionId=version_id),
        )
        if answer.get("SecretString") is not None:
            return str(answer["SecretString"]).encode("utf-8")
        return bytes(answer["SecretBinary"])
