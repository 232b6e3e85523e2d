"""FakeSecretsManager: AWS Secrets Manager's boto3 client as far as the aws backend uses it
(describe_secret, get_secret_value), in memory, with boto3's error shape. AWS itself cannot
be reached from the test machines."""

from __future__ import annotations

import uuid
from typing import Any


class FakeClientError(Exception):
    """botocore's ClientError shape: `response["Error"]["Code"]`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": code}}


class EndpointConnectionError(Exception):
    """botocore's name for an unreachable endpoint."""


class FakeSecretsManager:
    def __init__(self) -> None:
        self.versions: dict[str, dict[str, str]] = {}  # arn -> version id -> value
        self.current: dict[str, str] = {}
        self.down = False

    def put(self, arn: str, value: str) -> str:
        version = str(uuid.uuid4())
        self.versions.setdefault(arn, {})[version] = value
        self.current[arn] = version
        return version

    def _check(self, arn: str) -> None:
        if self.down:
            raise EndpointConnectionError("Could not connect to the endpoint URL")
        if arn not in self.versions:
            raise FakeClientError("ResourceNotFoundException")

    def describe_secret(self, *, SecretId: str) -> dict[str, Any]:  # noqa: N803
        self._check(SecretId)
        return {
            "ARN": SecretId,
            "VersionIdsToStages": {
                v: ["AWSCURRENT"] if v == self.current[SecretId] else ["AWSPREVIOUS"]
                for v in self.versions[SecretId]
            },
        }

    def get_secret_value(self, *, SecretId: str, VersionId: str) -> dict[str, Any]:  # noqa: N803
        self._check(SecretId)
        if VersionId not in self.versions[SecretId]:
            raise FakeClientError("ResourceNotFoundException")
        return {
            "ARN": SecretId,
            "VersionId": VersionId,
            "SecretString": self.versions[SecretId][VersionId],
        }
