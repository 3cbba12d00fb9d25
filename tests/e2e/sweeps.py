"""Simulated time end to end: the clock jumps, one sweep sends what fell due, and the stack
settles before it stops (the alarms run on real time, behind the simulated clock)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from cobot.sandbox.simclock import SimClock
from cobot.sandbox.stack import LocalStack
from cobot.storage.db import transaction
from cobot.storage.models import Delivery

# the sweep leaves rows this new alone (their own alarm is about to send them)
PAST_GRACE = timedelta(seconds=6)


def drive(stack: LocalStack, step: timedelta = timedelta(0)) -> None:
    """`step` passes, and the sweep's grace for new rows; what is due now goes out (one
    sweep, as the scheduler would)."""
    assert stack.runtime is not None and isinstance(stack.runtime.clock, SimClock)
    stack.runtime.clock.advance(step + PAST_GRACE)
    stack.runtime.runner.sweep()


def settle(stack: LocalStack) -> None:
    """Let the deliveries that fell due when the clock jumped finish before the stack stops
    (a send still running while the scheduler shuts down can deadlock APScheduler 3)."""
    assert stack.runtime is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with transaction(stack.runtime.factory) as db:
            due = db.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.status.in_(("scheduled", "sending")),
                    Delivery.due_at <= stack.runtime.clock.now(),
                )
            )
        if not due:
            break
        drive(stack)
        time.sleep(0.1)
    time.sleep(0.5)
