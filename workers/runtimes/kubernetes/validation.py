"""Every manifest is checked against the official schemas of the Kubernetes version we
target before it is sent, and the enum values those schemas leave unchecked, here."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

TARGET_VERSION = "1.37.0"
# By the end of their path: the schemas type these as plain strings.
_ENUMS = {
    "/restartPolicy": {"Never", "OnFailure"},  # of a Job's pod: Always is refused by the server
    "/imagePullPolicy": {"Always", "IfNotPresent", "Never"},
    "/seccompProfile/type": {"RuntimeDefault", "Localhost", "Unconfined"},
    "/capabilities/drop": None,  # checked below: ALL, and nothing to add back
}
_SECRET_TYPES = {"Opaque"}


class InvalidManifest(ValueError):
    """A manifest the API server would refuse (or we never mean to send)."""


def validate(manifest: dict[str, Any], version: str = TARGET_VERSION) -> None:
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(str(part) for part in error.path)
        raise InvalidManifest(
            f"{manifest.get('kind')} at {where or '/'}: {error.message}"
        ) from None
    kind = manifest.get("kind")
    if kind == "Secret" and manifest.get("type") not in _SECRET_TYPES:
        raise InvalidManifest(f"Secret at /type: {manifest.get('type')!r} is not Opaque")
    for path, value in _walk(manifest, ""):
        suffix = next((end for end in _ENUMS if path.endswith(end)), None)
        if suffix is None:
            continue
        allowed = _ENUMS[suffix]
        if allowed is None:
            if value != ["ALL"]:
                raise InvalidManifest(f"{kind} at {path}: capabilities must drop ALL")
        elif value not in allowed:
            raise InvalidManifest(f"{kind} at {path}: {value!r} is not one of {sorted(allowed)}")


def _walk(node: Any, path: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((f"{path}/{key}", value))
            found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{path}/{index}")
    return found
