"""The load generator, in processes of its own: wrk (Debian package `wrk`) when installed,
else a small asyncio HTTP/1.1 keep-alive client (`python -m bench.load`)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent


@dataclass
class LoadResult:
    tool: str
    connections: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "rps": self.rps}


def run_load(
    url: str,
    *,
    connections: int,
    seconds: float,
    token: str | None = None,
    method: str = "POST",
    body: dict | None = None,
) -> LoadResult:
    """POST a new project per request (a unique name each), GET, or POST `body` as it is
    for every request (method BODY)."""
    prefix = uuid.uuid4().hex[:8]
    fixed = json.dumps(body, separators=(",", ":")) if body is not None else ""
    if body is not None:
        method = "BODY"
    if shutil.which("wrk"):
        return _wrk(url, connections, seconds, token, method, prefix, fixed)
    return _python(url, connections, seconds, token, method, prefix, fixed)


def _wrk(url, connections, seconds, token, method, prefix, fixed) -> LoadResult:
    threads = min(2, connections)
    args = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "create.lua"),
        "-H",
        "Content-Type: application/json",
    ]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    args += [url, "--", prefix, method, fixed]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    errors = sum(
        data[k]
        for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return LoadResult(
        "wrk",
        connections,
        data["duration_us"] / 1e6,
        data["requests"],
        errors,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["mean_us"] / 1000,
    )


def _python(url, connections, seconds, token, method, prefix, fixed) -> LoadResult:
    args = [
        sys.executable,
        "-m",
        "bench.load",
        url,
        str(connections),
        str(seconds),
        token or "",
        method,
        prefix,
        fixed,
    ]
    out = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    if out.returncode:
        raise RuntimeError(out.stderr)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return LoadResult(
        "python-asyncio",
        connections,
        data["seconds"],
        data["requests"],
        data["errors"],
        data["p50_ms"],
        data["p99_ms"],
        data["mean_ms"],
    )


# -- the fallback client (runs in its own process) -----------------------------------------
async def _client(host, port, path, headers, method, prefix, fixed, cid, deadline, lat, errs):
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    try:
        while time.perf_counter() < deadline:
            n += 1
            body = fixed.encode()
            if method == "POST":
                body = json.dumps(
                    {
                        "name": f"{prefix}-{cid}-{n}",
                        "description": "bench",
                        "settings": {"max_parallel": 4},
                    }
                ).encode()
            verb = "POST" if method == "BODY" else method
            head = (
                f"{verb} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            lat.append((time.perf_counter() - t0) * 1000)
            if not status_line.split()[1].startswith(b"2"):
                errs.append(1)
    finally:
        writer.close()


async def _main(url, connections, seconds, token, method, prefix, fixed="") -> dict:
    parts = urlsplit(url)
    headers = "Content-Type: application/json\r\n"
    if token:
        headers += f"Authorization: Bearer {token}\r\n"
    lat: list[float] = []
    errs: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *[
            _client(
                parts.hostname,
                parts.port,
                parts.path or "/",
                headers,
                method,
                prefix,
                fixed,
                i,
                deadline,
                lat,
                errs,
            )
            for i in range(connections)
        ]
    )
    elapsed = time.perf_counter() - started
    from bench.stats import percentile

    return {
        "seconds": elapsed,
        "requests": len(lat),
        "errors": len(errs),
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "mean_ms": sum(lat) / len(lat) if lat else 0.0,
    }


if __name__ == "__main__":
    u, c, s, tok, m, p = sys.argv[1:7]
    f = sys.argv[7] if len(sys.argv) > 7 else ""
    print(json.dumps(asyncio.run(_main(u, int(c), float(s), tok or None, m, p, f))))
