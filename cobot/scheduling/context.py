"""The runner that persisted jobs call into; bound once per process by the runtime."""

from __future__ import annotations

from collections.abc import Callable

from cobot.services.checkins import Checkins
from cobot.services.deliveries import DeliveryRunner
from cobot.services.endings import Endings
from cobot.services.events import EventLedger
from cobot.services.ports import Alarms

_runner: DeliveryRunner | None = None
_events: EventLedger | None = None
_checkins: Checkins | None = None
_endings: Endings | None = None
_alarms: Alarms | None = None
_leading: Callable[[], bool] | None = None


def bind(
    runner: DeliveryRunner | None,
    events: EventLedger | None = None,
    checkins: Checkins | None = None,
    endings: Endings | None = None,
    *,
    alarms: Alarms | None = None,
    leading: Callable[[], bool] | None = None,
) -> None:
    """Set (or clear) what job functions use in this process.

    `leading` verifies the scheduler lock (and steps down when it is lost); jobs that
    send check it first.
    """
    global _runner, _events, _checkins, _endings, _alarms, _leading
    _runner = runner
    _events = events
    _checkins = checkins
    _endings = endings
    _alarms = alarms
    _leading = leading


def alarms() -> Alarms | None:
    """The bound alarm clock, if this process has one."""
    return _alarms


def still_leading() -> bool:
    """Whether this process may run sends now (verifies the lock where there is one)."""
    return True if _leading is None else _leading()


def endings() -> Endings | None:
    """The bound endings service, if this process has one."""
    return _endings


def checkins() -> Checkins | None:
    """The bound check-ins service, if this process has one."""
    return _checkins


def events() -> EventLedger:
    """The bound event ledger."""
    if _events is None:
        raise RuntimeError("no event ledger bound in this process")
    return _events


def runner() -> DeliveryRunner:
    """The bound runner; a job firing before start-up finished is a programming error."""
    if _runner is None:
        raise RuntimeError("no delivery runner bound in this process")
    return _runner
