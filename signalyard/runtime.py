"""Process-wide runtime settings of the long-running processes (API, projection runners,
rebuilds).

The cyclic garbage collector: by default a full collection walks every tracked object of
the process (the app, pydantic schemas, the aggregate cache...) every few thousand
allocations, so under the command load every request paid for it and its pauses reached
the tail latency. After start-up the objects that live as long as the process are frozen
(never walked again) and the young generation collects less often. Reference counting still
frees everything that is not in a cycle at once.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 20, 20)  # default (700, 10, 10)


def settle_gc() -> None:
    """Call once the process has built everything it keeps (after start-up)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
