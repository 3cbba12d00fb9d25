"""The APScheduler alarm clock over the deliveries ledger (SQLAlchemyJobStore, same DB)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
DELIVER_JOB = "cobot.scheduling.jobs:deliver"
WAKE_JOB = "cobot.scheduling.jobs:wake"
SWEEP_JOB = "cobot.scheduling.jobs:sweep"
PRUNE_EVENTS_JOB = "cobot.scheduling.jobs:prune_events"
DAILY_MAINTENANCE_JOB = "cobot.scheduling.jobs:daily_maintenance"


class _SharedStoreScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A scheduler that tolerates another process removing a job it also ran.

    With two schedulers on one store both may run a due job (the ledger's claim makes that
    harmless); the second removal then finds nothing, which must not stop the main loop.
    """

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        try:
            super().remove_job(job_id, jobstore)
        except JobLookupError:
            log.debug("job %s was already removed by another scheduler", job_id)


def job_id(delivery_id: int) -> str:
    """The job one delivery had before alarms were per minute (still run if found)."""
    return f"delivery:{delivery_id}"


def minute_of(when: datetime) -> datetime:
    """The start of the UTC minute `when` falls in."""
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def minute_job_id(when: datetime) -> str:
    """The one alarm for every delivery due in `when`'s minute."""
    return "due:" + minute_of(when).strftime("%Y%m%dT%H%M")


class AlarmClock:
    """Arms one `date` job per minute in which something falls due (not one per delivery),
    in the shared job store, and runs the sweep.

    The job store stays as small as the number of distinct due minutes, and start-up arms
    nothing: the sweep reads due rows by the (status, due_at) index, so an alarm is only
    a hint for punctuality. A process that only serves Slack starts it paused: its jobs
    reach the shared store and the scheduling process runs them.
    """

    def __init__(self, engine: Engine, *, sweep_seconds: float = 5.0, max_workers: int = 4) -> None:
        self._scheduler: Any = _SharedStoreScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE),
                "local": MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(max_workers=max_workers)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone="UTC",
        )
        self._sweep_seconds = sweep_seconds
        self._arm_lock = threading.Lock()
        self._closing = False
        # minute job id -> the time this process last armed it for
        self._armed: dict[str, datetime] = {}

    def start(self, *, paused: bool = False, sweep: Callable[[], None] | None = None) -> None:
        """Start; once running (not paused), the recovery sweep runs now and every few seconds.

        `sweep` is this process's own sweep (it lives in the in-memory store, so it may be
        a bound method); by default the job function that uses the bound context. The sweep
        also wakes the scheduler, so jobs other processes add are seen promptly.
        """
        self._scheduler.start(paused=paused)
        self._scheduler.add_job(
            sweep or SWEEP_JOB,
            trigger="interval",
            seconds=self._sweep_seconds,
            id="sweep",
            jobstore="local",
            replace_existing=True,
            next_run_time=datetime.now().astimezone(),
        )
        self._scheduler.add_job(
            PRUNE_EVENTS_JOB, trigger="interval", hours=1, id="prune_events", jobstore="local"
        )
        self._scheduler.add_job(
            DAILY_MAINTENANCE_JOB,
            trigger="interval",
            hours=24,
            id="daily_maintenance",
            jobstore="local",
            next_run_time=datetime.now().astimezone() + timedelta(minutes=10),
        )

    def resume(self) -> None:
        """Start running jobs (a standby that became the leader)."""
        self._scheduler.resume()

    def pause(self) -> None:
        """Stop running jobs (a leader that lost its lock); sends under way finish."""
        self._scheduler.pause()

    @property
    def paused(self) -> bool:
        """True while this process runs no jobs."""
        from apscheduler.schedulers.base import STATE_PAUSED

        return bool(self._scheduler.state == STATE_PAUSED)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop, letting running sends finish when `wait`.

        The shared store is detached first: APScheduler's main loop may process due jobs
        once more while stopping, fail to submit them, and delete them from the store.
        """
        with self._arm_lock:
            # a job still running may try to re-arm; adding a job while the scheduler joins
            # its workers deadlocks APScheduler 3, and the sweep re-drives anything due anyway
            self._closing = True
        if self._scheduler.running:
            self._scheduler.remove_jobstore("default", shutdown=False)
            self._scheduler.shutdown(wait=wait)

    def arm(self, delivery_id: int, when: datetime) -> None:  # noqa: ARG002
        """Make sure the alarm of `when`'s minute rings no later than `when`.

        One job per minute: arming looks the minute's job up (one indexed read) and adds or
        moves it only when `when` is earlier. The woken job drives everything due and
        re-arms for whatever else falls later in its minute.
        """
        jid = minute_job_id(when)
        with self._arm_lock:
            if self._closing:
                return
            now = datetime.now(UTC)
            known = self._armed.get(jid)
            if known is not None and now < known <= when:
                # it has not rung yet and will ring first; its run re-arms for `when`
                return
            existing = self._scheduler.get_job(jid, jobstore="default")
            ringing = None if existing is None else existing.next_run_time
            if ringing is not None and now < ringing <= when:
                self._armed[jid] = ringing
                return
            self._scheduler.add_job(
                WAKE_JOB,
                trigger="date",
                run_date=when,
                args=[minute_of(when).isoformat()],
                id=jid,
                jobstore="default",
                replace_existing=True,
            )
            if len(self._armed) > 10_000:
                self._armed.clear()
            self._armed[jid] = when

    def pending_job_ids(self) -> list[str]:
        """Ids of the jobs in the shared store (for doctor and tests)."""
        return [job.id for job in self._scheduler.get_jobs(jobstore="default")]
