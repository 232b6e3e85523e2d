"""Exponential backoff with full jitter (AWS architecture blog's "Full Jitter")."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 600.0
    max_age_seconds: float = 86_400.0

    def delay(self, tries: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before the try after `tries` failed ones: uniform in [0, min(cap, base·2^n)]."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** max(tries - 1, 0))
        return rand() * ceiling
