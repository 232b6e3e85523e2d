"""A stand-in dispatcher for the kill -9 test: starts one attempt on the local runtime and
waits forever. Usage: python runtime_host.py <base dir> <marker>"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.local_runtime import make_runtime, python_spec, wait_for_log  # noqa: E402

AGENT = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    time.sleep(300)
print("ready", flush=True)
time.sleep(300)
"""


async def main(base: Path, marker: str) -> None:
    runtime = make_runtime(base)
    handle = await runtime.start(python_spec(AGENT, marker, timeout_seconds=300))
    await wait_for_log(runtime, handle, b"ready")
    print("started", flush=True)
    await asyncio.sleep(600)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
