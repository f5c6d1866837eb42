"""A per-client rate limit (token bucket), so one client cannot monopolise a 2-core demo."""

from __future__ import annotations

import threading
import time

from bucle.common.errors import BucleError


class RateLimited(BucleError):
    """The client asked too often; the message says when to try again (Spanish)."""


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last time)
        self._lock = threading.Lock()

    def check(self, client: str, cost: float = 1.0) -> None:
        """Spend ``cost`` tokens of ``client``'s bucket or raise ``RateLimited``."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < cost:
                self._buckets[client] = (tokens, now)
                wait = (cost - tokens) / self.rate
                raise RateLimited(f"Demasiadas peticiones seguidas: espera {wait:.0f} s y vuelve a intentarlo.")
            self._buckets[client] = (tokens - cost, now)
