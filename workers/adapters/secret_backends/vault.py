"""The vault backend: KV v2 on Vault or OpenBao through hvac.

A version's event keeps the path and the KV version it pinned; a create or rotate with a
value writes a new KV version, one without pins the path's current version. Paths are
relative to the KV mount and must lie under the allowed prefix. A server that does not
answer is `BackendUnavailable` (the task waits), a path or version that is gone is
`SecretGone` (the attempt cannot run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import hvac
import hvac.exceptions
import requests

from domain.core.errors import InvalidInput
from domain.secrets.errors import BackendUnavailable, SecretGone
from domain.secrets.ports import SecretLocator, StoredVersion

_DOWN = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
_BUSY = (hvac.exceptions.VaultDown, hvac.exceptions.InternalServerError)


def vault_client(
    addr: str,
    token: str | None,
    role_id: str | None = None,
    secret_id: str | None = None,
    timeout: float = 5.0,
) -> hvac.Client:
    """A client logged in with the token, or through AppRole when a role id is given."""
    client = hvac.Client(url=addr, token=token, timeout=timeout)
    if role_id:
        client.auth.approle.login(role_id=role_id, secret_id=secret_id)
    return client


class VaultBackend:
    def __init__(self, connect: Callable[[], hvac.Client], mount: str, prefix: str) -> None:
        self._connect = connect
        self._client: hvac.Client | None = None
        self._lock = threading.Lock()
        self.mount = mount
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def check_path(self, path_or_arn: str | None, has_value: bool) -> str:
        path = (path_or_arn or "").strip().strip("/")
        where = f"under {self.prefix!r} of the KV mount {self.mount!r}"
        if not path or any(part in ("", ".", "..") for part in path.split("/")):
            raise InvalidInput(f"path_or_arn must be a KV path {where}", field="path_or_arn")
        if not path.startswith(self.prefix) or len(path) > 512:
            raise InvalidInput(
                f"path_or_arn is outside the allowed path {where}", field="path_or_arn"
            )
        return path

    def _kv(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client.secrets.kv.v2

    def _call(self, what: str, call: Callable[[Any], Any]) -> Any:
        try:
            try:
                return call(self._kv())
            except hvac.exceptions.Forbidden:
                self._client = None  # an expired token or AppRole login: log in again, once
                return call(self._kv())
        except _DOWN:
            raise BackendUnavailable(f"Vault does not answer ({what})", backend="vault") from None
        except _BUSY:
            raise BackendUnavailable(
                f"Vault is sealed or failing ({what})", backend="vault"
            ) from None
        except hvac.exceptions.Forbidden:
            raise SecretGone(f"Vault refused access ({what})") from None

    def put(self, at: SecretLocator, value: bytes | None) -> StoredVersion:
        path = at.path_or_arn
        if value is None:
            try:
                meta = self._call(
                    "read metadata",
                    lambda kv: kv.read_secret_metadata(path=path, mount_point=self.mount),
                )
            except hvac.exceptions.InvalidPath:
                raise InvalidInput(
                    "nothing is stored at this path: give a value or an existing path",
                    field="path_or_arn",
                ) from None
            version = meta["data"]["current_version"]
        else:
            text = value.decode("utf-8")
            written = self._call(
                "write",
                lambda kv: kv.create_or_update_secret(
                    path=path, secret={"value": text}, mount_point=self.mount
                ),
            )
            version = written["data"]["version"]
        return {"mount": self.mount, "path": path, "kv_version": str(version)}

    def get(self, at: SecretLocator, stored: StoredVersion) -> bytes:
        path, version = stored["path"], int(stored["kv_version"])
        try:
            answer = self._call(
                "read",
                lambda kv: kv.read_secret_version(
                    path=path,
                    version=version,
                    mount_point=stored.get("mount", self.mount),
                    raise_on_deleted_version=True,
                ),
            )
        except hvac.exceptions.InvalidPath:
            raise SecretGone(f"KV path {path!r} version {version} is gone") from None
        data = (answer.get("data") or {}).get("data") or {}
        if "value" not in data:
            raise SecretGone(f"KV path {path!r} version {version} holds no 'value' key")
        return str(data["value"]).encode("utf-8")
