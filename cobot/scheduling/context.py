"""The runner that persisted jobs call into; bound once per process by the runtime."""

from __future__ import annotations

from cobot.services.deliveries import DeliveryRunner

_runner: DeliveryRunner | None = None


def bind(runner: DeliveryRunner | None) -> None:
    """Set (or clear) the runner that job functions use in this process."""
    global _runner
    _runner = runner


def runner() -> DeliveryRunner:
    """The bound runner; a job firing before start-up finished is a programming error."""
    if _runner is None:
        raise RuntimeError("no delivery runner bound in this process")
    return _runner
