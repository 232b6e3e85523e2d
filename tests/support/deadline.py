"""Run a call in a child process and give up on it after a generous deadline.

A thread will not do: Python's `re` holds the GIL while it backtracks, so a test waiting
on a thread would hang with it instead of failing.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


def _run(queue: Any, function: Any, args: tuple) -> None:
    try:
        queue.put(("returned", function(*args)))
    except Exception as exc:  # the caller sees what was raised, by type and message
        queue.put(("raised", f"{type(exc).__name__}: {exc}"))


def finished_within(seconds: float, function: Any, *args: Any) -> Any:
    """`function(*args)` (module-level, picklable) if it returned within `seconds`."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run, args=(queue, function, args), daemon=True)
    child.start()
    try:
        outcome, value = queue.get(timeout=seconds)
    except Exception:
        outcome, value = "timed out", None
    finally:
        child.join(1)
        if child.is_alive():
            child.kill()
            child.join()
    assert outcome == "returned", f"{outcome}: {value}"
    return value
