"""When to try a transfer again: transient faults only, with bounded, jittered backoff.

Built from parameters (a partner's ``[retry]`` section), never decorated at import
time, so tests pass tiny waits and a recording ``sleep``. What counts as transient is
decided by the exception, not here: a :class:`TransportFault` whose ``retryable`` is
true (refused connection, timeout, dropped connection, a transient errno). Host-key
and authentication failures are not retryable and go straight to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import tenacity

from gateway.logging import get_logger
from gateway.transport.errors import TransportFault

if TYPE_CHECKING:
    from gateway.partners import RetrySettings

T = TypeVar("T")
log = get_logger(__name__)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransportFault) and exc.retryable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # including the first
    initial_wait: float = 1.0  # seconds before the second attempt; doubles each time
    max_wait: float = 30.0  # cap on one wait
    jitter: float = 1.0  # up to this much random wait is added (spreads reconnect storms)
    max_time: float = 180.0  # give up once this much time has passed since the first try
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def from_settings(cls, settings: RetrySettings) -> RetryPolicy:
        return cls(attempts=settings.attempts, initial_wait=settings.initial_wait_seconds,
                   max_wait=settings.max_wait_seconds, jitter=settings.jitter_seconds,
                   max_time=settings.max_total_seconds)

    @classmethod
    def never(cls) -> RetryPolicy:
        """One attempt only (``partners check`` wants the first answer, fast)."""
        return cls(attempts=1)

    def call(self, fn: Callable[[], T], *, operation: str,
             on_retry: Callable[[TransportFault], None] | None = None) -> T:
        """``fn()``, tried again on transient faults; the last fault carries ``attempts``."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts)
            | tenacity.stop_after_delay(self.max_time),
            # initial·2ⁿ capped at max_wait, plus up to `jitter` at random.
            wait=tenacity.wait_exponential(multiplier=self.initial_wait, max=self.max_wait)
            + tenacity.wait_random(0, self.jitter),
            retry=tenacity.retry_if_exception(is_transient),
            sleep=self.sleep,
            before_sleep=lambda state: self._before_sleep(state, operation, on_retry),
            reraise=True,
        )
        try:
            return retrying(fn)
        except TransportFault as exc:
            exc.attempts = retrying.statistics.get("attempt_number", 1)
            raise

    @staticmethod
    def _before_sleep(state: tenacity.RetryCallState, operation: str,
                      on_retry: Callable[[TransportFault], None] | None) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("transport.retry", operation=operation, attempt=state.attempt_number,
                    wait_seconds=round(wait, 3), error=type(exc).__name__,
                    reason=str(exc))
        if on_retry is not None and isinstance(exc, TransportFault):
            on_retry(exc)
