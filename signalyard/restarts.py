"""When a supervised child dies: restart it after a growing delay, or give up on a crash loop."""

from __future__ import annotations

import signal
from collections import deque
from dataclasses import dataclass, field


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass(frozen=True)
class RestartPolicy:
    # A child that dies this often within the window is broken, not unlucky: stop the tree
    # instead of restarting it forever and hiding the failure.
    max_deaths: int = 5
    window_seconds: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, recent_deaths: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** max(0, recent_deaths - 1))


@dataclass
class Deaths:
    """One child's recent deaths (monotonic times) and how often it was restarted."""

    policy: RestartPolicy
    times: deque[float] = field(default_factory=deque)
    restarts: int = 0

    def record(self, now: float) -> float | None:
        """The delay before the next restart, or None when this death makes a crash loop."""
        self.times.append(now)
        while self.times and now - self.times[0] > self.policy.window_seconds:
            self.times.popleft()
        if len(self.times) >= self.policy.max_deaths:
            return None
        self.restarts += 1
        return self.policy.delay(len(self.times))
