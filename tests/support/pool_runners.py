"""Render-pool runners for tests: jobs that ask the pool for memory, hold it, or die holding it.

A module of its own so the pool's worker processes can import the runner by name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

HoldJob = tuple[str, int, float]  # ("hold" | "die", bytes to reserve, seconds to hold them)


class HoldingRunner:
    """Reserves a job's bytes, then sleeps; answers (start, end) on the system's monotonic
    clock, the same in every process. A "die" job exits while holding its bytes."""

    def __init__(self, reserve: Callable[[int], None]) -> None:
        self._reserve = reserve

    def __call__(self, job: HoldJob) -> tuple[float, float]:
        action, nbytes, seconds = job
        self._reserve(nbytes)
        start = time.monotonic()
        if action == "die":
            os._exit(3)
        time.sleep(seconds)
        return start, time.monotonic()
