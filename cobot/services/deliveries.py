"""The deliveries ledger: schedule, claim, send, record, recover; at least once, never twice."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cobot.domain.deliveries import (
    ALWAYS_USEFUL,
    MAX_ATTEMPTS,
    DeliveryStatus,
    LatenessPolicy,
    retry_delay,
)
from cobot.services.ports import (
    Alarms,
    Clock,
    Messenger,
    OutgoingMessage,
    PostedMessage,
    SlackSendError,
)
from cobot.storage.db import transaction
from cobot.storage.models import Delivery

log = logging.getLogger(__name__)

ALARMS_KEY = "cobot.alarms"
PROBLEM_KIND = "delivery_problem"
NOTICE_KIND = "notice"


class Renderer(Protocol):
    """Builds a delivery's message from current state, or None when it no longer applies."""

    def __call__(self, session: Session, delivery: Delivery) -> OutgoingMessage | None: ...


@dataclass(frozen=True)
class DeliveryKind:
    """One kind of message: how to render it and how late it may still go."""

    name: str
    render: Renderer
    lateness: LatenessPolicy = ALWAYS_USEFUL
    escalate: bool = True
    # about one person's private life (e.g. their check-ins): never listed in exports
    private: bool = False


@dataclass
class DeliveryKinds:
    """The registry every feature adds its kinds to, at start-up."""

    kinds: dict[str, DeliveryKind] = field(default_factory=dict)

    def add(self, kind: DeliveryKind) -> None:
        """Register a kind; a name may be registered once."""
        if kind.name in self.kinds:
            raise ValueError(f"delivery kind {kind.name!r} registered twice")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> DeliveryKind | None:
        """The kind called `name`, if registered."""
        return self.kinds.get(name)

    def private(self) -> frozenset[str]:
        """The names of the kinds a feature marked private."""
        return frozenset(k.name for k in self.kinds.values() if k.private)


@dataclass(frozen=True)
class DeliveryView:
    """A delivery as the coordinator sees it (never message content)."""

    id: int
    kind: str
    target: str
    due_at: datetime
    status: str
    attempts: int
    last_error: str | None


def schedule(
    session: Session,
    *,
    key: str,
    kind: str,
    target: str,
    due_at: datetime,
    now: datetime,
    project_id: int | None = None,
    subject: tuple[str, int] | None = None,
    payload: dict[str, Any] | None = None,
    escalate_to: str | None = None,
) -> Delivery:
    """Record a message owed, once per idempotency `key`, inside the caller's transaction.

    A second call with the same key returns the existing row unchanged.
    """
    existing = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
    if existing is not None:
        return existing
    row = Delivery(
        idempotency_key=key,
        kind=kind,
        target=target,
        due_at=due_at,
        project_id=project_id,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        payload=payload or {},
        status=DeliveryStatus.SCHEDULED,
        attempts=0,
        escalate_to=escalate_to,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # another process recorded the same key between our look and our insert
        existing = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
        assert existing is not None
        return existing
    queue_alarm(session, row.id, due_at)
    return row


def cancel_subject(session: Session, *, subject: tuple[str, int], now: datetime) -> list[int]:
    """Cancel every not-yet-sent delivery about `subject`; returns their ids."""
    rows = session.scalars(
        select(Delivery).where(
            Delivery.subject_type == subject[0],
            Delivery.subject_id == subject[1],
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
    ).all()
    for row in rows:
        row.status = DeliveryStatus.CANCELLED
        row.updated_at = now
        row.finished_at = now
    return [row.id for row in rows]


def move(session: Session, *, delivery: Delivery, due_at: datetime, now: datetime) -> None:
    """Move a scheduled delivery to a new due time (its alarm follows after commit)."""
    if delivery.status != DeliveryStatus.SCHEDULED:
        return
    delivery.due_at = due_at
    delivery.retry_at = None
    delivery.updated_at = now
    queue_alarm(session, delivery.id, due_at)


def queue_alarm(session: Session, delivery_id: int, when: datetime) -> None:
    """Arm the alarm once the surrounding transaction commits (never for a rolled-back row)."""
    session.info.setdefault(ALARMS_KEY, []).append((delivery_id, when))


def install_alarm_hook(factory: sessionmaker[Session], alarms: Alarms) -> None:
    """Send alarms queued in a transaction to `alarms` once it has committed and let go of
    its connection (on SQLite, arming while the writer's connection is still held deadlocks
    against the job store's own write)."""
    from sqlalchemy import event

    committed_key = f"{ALARMS_KEY}.committed"

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        session.info.setdefault(committed_key, []).extend(session.info.pop(ALARMS_KEY, []))

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(ALARMS_KEY, None)

    @event.listens_for(factory, "after_transaction_end")
    def _after_end(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        queued: list[tuple[int, datetime]] = session.info.pop(committed_key, [])
        for delivery_id, when in queued:
            try:
                alarms.arm(delivery_id, when)
            except Exception:  # the sweep re-drives it; an alarm is only a hint
                log.exception("could not arm the alarm for delivery %s", delivery_id)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    target: str
    message: OutgoingMessage


class DeliveryRunner:
    """Claims due deliveries, sends them and records the outcome."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        messenger: Messenger,
        kinds: DeliveryKinds,
        worker_id: str,
        alarms: Alarms | None = None,
        lease: timedelta = timedelta(seconds=60),
        sweep_grace: timedelta = timedelta(seconds=5),
    ) -> None:
        self._factory = factory
        self._clock = clock
        self._messenger = messenger
        self._kinds = kinds
        self._worker_id = worker_id
        self._alarms = alarms
        self._lease = lease
        self._sweep_grace = sweep_grace

    def deliver(self, delivery_id: int) -> str | None:
        """Try to send one delivery now; returns the status it ended in, or None if not ours."""
        claimed = self._claim(delivery_id)
        if claimed is None:
            return None
        try:
            posted = self._messenger.post(claimed.target, claimed.message)
        except SlackSendError as exc:
            return self._record_failure(claimed, exc)
        self._record_sent(claimed, posted)
        return DeliveryStatus.SENT

    def sweep(self, *, limit: int = 200) -> list[int]:
        """Re-drive what is overdue without a working alarm or whose claim expired."""
        now = self._clock.now()
        cutoff = now - self._sweep_grace
        with transaction(self._factory) as session:
            ids = list(
                session.scalars(
                    select(Delivery.id)
                    .where(
                        or_(
                            and_(
                                Delivery.status == DeliveryStatus.SCHEDULED,
                                Delivery.due_at <= cutoff,
                                or_(Delivery.retry_at.is_(None), Delivery.retry_at <= cutoff),
                            ),
                            and_(
                                Delivery.status == DeliveryStatus.SENDING,
                                Delivery.lease_until < now,
                            ),
                        )
                    )
                    .order_by(Delivery.due_at)
                    .limit(limit)
                )
            )
        driven = []
        for delivery_id in ids:
            if self.deliver(delivery_id) is not None:
                driven.append(delivery_id)
        return driven

    def rearm_all(self) -> int:
        """Arm an alarm for every scheduled delivery (start-up: the job store may be stale)."""
        if self._alarms is None:
            return 0
        with transaction(self._factory) as session:
            rows = session.execute(
                select(Delivery.id, Delivery.due_at, Delivery.retry_at).where(
                    Delivery.status == DeliveryStatus.SCHEDULED
                )
            ).all()
        for delivery_id, due_at, retry_at in rows:
            self._alarms.arm(delivery_id, max(due_at, retry_at or due_at))
        return len(rows)

    def retry(self, delivery_id: int) -> bool:
        """Put a failed or skipped delivery back in the queue now (a coordinator's retry)."""
        now = self._clock.now()
        with transaction(self._factory) as session:
            row = session.get(Delivery, delivery_id)
            if row is None or row.status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
                return False
            row.status = DeliveryStatus.SCHEDULED
            row.due_at = now
            row.retry_at = None
            row.attempts = 0
            row.last_error = None
            row.finished_at = None
            row.updated_at = now
            queue_alarm(session, row.id, now)
        return True

    def problems(self, *, project_id: int | None) -> list[DeliveryView]:
        """Failed and skipped deliveries, newest first, for the coordinator's view."""
        with transaction(self._factory) as session:
            rows = session.scalars(
                select(Delivery)
                .where(
                    Delivery.project_id == project_id
                    if project_id is not None
                    else Delivery.project_id.is_(None),
                    Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]),
                )
                .order_by(Delivery.updated_at.desc())
            ).all()
            return [_view(row) for row in rows]

    # -- steps ---------------------------------------------------------------------------

    def _claim(self, delivery_id: int) -> _Claimed | None:
        now = self._clock.now()
        with transaction(self._factory) as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    or_(
                        and_(
                            Delivery.status == DeliveryStatus.SCHEDULED,
                            Delivery.due_at <= now,
                            or_(Delivery.retry_at.is_(None), Delivery.retry_at <= now),
                        ),
                        and_(
                            Delivery.status == DeliveryStatus.SENDING,
                            Delivery.lease_until < now,
                        ),
                    ),
                )
                .values(
                    status=DeliveryStatus.SENDING,
                    lease_until=now + self._lease,
                    claimed_by=self._worker_id,
                    attempts=Delivery.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            row = session.get(Delivery, delivery_id, populate_existing=True)
            if row is None:
                return None
            if getattr(result, "rowcount", 0) != 1:
                if row.status == DeliveryStatus.SCHEDULED:
                    # woken early (the delivery moved, or is backing off): wake again later
                    queue_alarm(session, row.id, max(row.due_at, row.retry_at or row.due_at))
                return None
            kind = self._kinds.get(row.kind)
            if kind is None:
                self._finish(row, DeliveryStatus.FAILED, f"unknown kind {row.kind!r}")
                return None
            if kind.lateness.too_late(due_at=row.due_at, now=now):
                self._finish(row, DeliveryStatus.SKIPPED, kind.lateness.reason)
                self._escalate(session, row, kind, now)
                return None
            message = kind.render(session, row)
            if message is None:
                self._finish(row, DeliveryStatus.SKIPPED, "no longer needed")
                return None
            return _Claimed(id=row.id, kind=row.kind, target=row.target, message=message)

    def _record_sent(self, claimed: _Claimed, posted: PostedMessage) -> None:
        now = self._clock.now()
        with transaction(self._factory) as session:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id == claimed.id,
                    Delivery.claimed_by == self._worker_id,
                    Delivery.status == DeliveryStatus.SENDING,
                )
                .values(
                    status=DeliveryStatus.SENT,
                    slack_channel=posted.channel,
                    slack_ts=posted.ts,
                    lease_until=None,
                    last_error=None,
                    finished_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        log.info("delivery %s (%s) sent", claimed.id, claimed.kind)

    def _record_failure(self, claimed: _Claimed, exc: SlackSendError) -> str:
        now = self._clock.now()
        with transaction(self._factory) as session:
            row = session.get(Delivery, claimed.id)
            if row is None or row.status != DeliveryStatus.SENDING:
                return row.status if row is not None else DeliveryStatus.CANCELLED
            kind = self._kinds.get(row.kind)
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                reason = (
                    exc.error if exc.permanent else f"gave up after {row.attempts}: {exc.error}"
                )
                self._finish(row, DeliveryStatus.FAILED, reason)
                if kind is not None:
                    self._escalate(session, row, kind, now)
                log.warning("delivery %s (%s) failed: %s", row.id, row.kind, reason)
                return DeliveryStatus.FAILED
            row.status = DeliveryStatus.SCHEDULED
            row.retry_at = now + retry_delay(row.attempts)
            row.lease_until = None
            row.last_error = exc.error
            row.updated_at = now
            queue_alarm(session, row.id, row.retry_at)
            log.info("delivery %s will be retried: %s", row.id, exc.error)
            return DeliveryStatus.SCHEDULED

    def _finish(self, row: Delivery, status: DeliveryStatus, why: str) -> None:
        now = self._clock.now()
        row.status = status
        row.last_error = why
        row.lease_until = None
        row.finished_at = now
        row.updated_at = now

    def _escalate(self, session: Session, row: Delivery, kind: DeliveryKind, now: datetime) -> None:
        if not kind.escalate or row.escalate_to is None or row.kind == PROBLEM_KIND:
            return
        schedule(
            session,
            key=f"problem:{row.id}:{row.attempts}",
            kind=PROBLEM_KIND,
            target=row.escalate_to,
            due_at=now,
            now=now,
            project_id=row.project_id,
            subject=("delivery", row.id),
            payload={"delivery_id": row.id},
        )


def _view(row: Delivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        kind=row.kind,
        target=row.target,
        due_at=row.due_at,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
    )


def render_notice(session: Session, delivery: Delivery) -> OutgoingMessage | None:  # noqa: ARG001
    """A plain notice: its (non-personal) text is in the payload."""
    text = delivery.payload.get("text")
    return OutgoingMessage(text=str(text)) if text else None


def render_problem(session: Session, delivery: Delivery) -> OutgoingMessage | None:
    """Tell whoever the delivery escalates to that a message did not reach its person."""
    problem = session.get(Delivery, int(delivery.payload["delivery_id"]))
    if problem is None or problem.status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
        return None
    verb = "could not be delivered" if problem.status == DeliveryStatus.FAILED else "was skipped"
    who = (
        f"<@{problem.target}>" if problem.target.startswith(("U", "W")) else f"<#{problem.target}>"
    )
    text = (
        f":warning: A {problem.kind.replace('_', ' ')} for {who} {verb}: "
        f"{problem.last_error or 'no reason recorded'}."
    )
    return OutgoingMessage(text=text)


def core_kinds() -> Sequence[DeliveryKind]:
    """The kinds the ledger itself needs."""
    return (
        DeliveryKind(name=NOTICE_KIND, render=render_notice),
        DeliveryKind(name=PROBLEM_KIND, render=render_problem, escalate=False),
    )


def register_all(kinds: DeliveryKinds, extra: Iterable[DeliveryKind]) -> None:
    """Add several kinds at once."""
    for kind in extra:
        kinds.add(kind)
