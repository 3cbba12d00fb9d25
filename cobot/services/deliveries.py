"""The deliveries ledger: schedule, claim, send, record, recover; at least once, never twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Generic
from typing import Protocol
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.deliveries import ALWAYS_USEFUL
from cobot.domain.deliveries import BreakerState
from cobot.domain.deliveries import CircuitBreaker
from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.deliveries import retry_delay
from cobot.registry import Registry
from cobot.services import after_commit
from cobot.services.base import Service
from cobot.services.ports import Alarms
from cobot.services.ports import Clock
from cobot.services.ports import Messenger
from cobot.services.ports import OutgoingMessage
from cobot.services.ports import PostedMessage
from cobot.services.ports import SlackSendError
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from cobot.storage.models import Workspace

log = logging.getLogger(__name__)

Note = TypeVar("Note")

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


class DeliveryKinds(Registry[DeliveryKind]):
    """The registry every feature adds its kinds to, at start-up (`add`, `get`)."""

    called = "delivery kind {!r}"

    def private(self) -> frozenset[str]:
        """The names of the kinds a feature marked private."""
        return frozenset(k.name for k in self.by_name.values() if k.private)


@dataclass(frozen=True)
class DeliveryRef:
    """Which message, of which kind, to whom: what a view or export of the ledger starts
    with (never the message's content). Views of deliveries extend it."""

    id: int
    kind: str
    target: str


@dataclass(frozen=True)
class DeliveryView(DeliveryRef):
    """A delivery as the coordinator sees it (never message content)."""

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
    team_id: str | None = None,
) -> Delivery:
    """Record a message owed, once per idempotency `key`, inside the caller's transaction.

    A second call with the same key returns the existing row unchanged. The workspace it
    goes to is `team_id`, or else its project's.
    """
    item = Owed(
        key=key,
        kind=kind,
        target=target,
        due_at=due_at,
        project_id=project_id,
        subject=subject,
        payload=payload or {},
        escalate_to=escalate_to,
        team_id=team_id,
    )
    return _schedule_one(session, item, now=now)


@dataclass(frozen=True)
class Owed:
    """One message to record with schedule_many(): the arguments of schedule()."""

    key: str
    kind: str
    target: str
    due_at: datetime
    project_id: int | None = None
    subject: tuple[str, int] | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    escalate_to: str | None = None
    # the workspace it goes to; None: its project's
    team_id: str | None = None
    # still worth sending (straight away) when its time has already passed at planning;
    # if not, whatever was already recorded under its key stays as it is
    late_ok: bool = True


def owed_key(*parts: object) -> str:
    """The one spelling of an idempotency key, for recording a message owed and for looking
    it up again: its parts joined by ":". By convention the subject's type and id come
    first, then what tells the subject's messages apart (owed_about()); a few kinds keep
    the first parts their rows were always recorded under (a review round's keys start
    "review", a digest's name the digest while its subject is the project), since rows
    already in the ledger must still be found under their keys."""
    return ":".join(str(part) for part in parts)


def owed_about(
    subject: tuple[str, int],
    project_id: int,
    key: str,
    kind: str,
    target: str,
    due_at: datetime,
    *,
    escalate_to: str | None = None,
    **ids: Any,
) -> Owed:
    """One message owed about one of a feature's rows (a poll, a milestone, a slow-down):
    keyed `{type}:{id}:{key}`, with the row's id in the payload as `{type}_id` and then
    `ids`."""
    subject_type, subject_id = subject
    return Owed(
        key=owed_key(subject_type, subject_id, key),
        kind=kind,
        target=target,
        due_at=due_at,
        project_id=project_id,
        subject=subject,
        payload={f"{subject_type}_id": subject_id, **ids},
        escalate_to=escalate_to,
    )


@dataclass(frozen=True)
class Scope:
    """The pending deliveries a plan speaks for: those about `subject_type` whose subject id
    and kind are in `kinds` (kinds by subject id). reconcile() cancels any of them no longer
    owed; rows outside the scope are never cancelled."""

    subject_type: str
    kinds: dict[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, subject_type: str, ids: Iterable[int], kinds: Iterable[str]) -> Scope:
        """The same kinds for every one of these subjects."""
        wanted = frozenset(kinds)
        return cls(subject_type, dict.fromkeys(ids, wanted))


# keys looked up per query (well under SQLite's and PostgreSQL's bind-parameter limits)
KEYS_PER_QUERY = 500


def existing_by_key(session: Session, keys: Iterable[str]) -> dict[str, Delivery]:
    """The deliveries already recorded under these idempotency keys, in a query per 500."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Delivery] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        for row in session.scalars(select(Delivery).where(Delivery.idempotency_key.in_(chunk))):
            found[row.idempotency_key] = row
    return found


def schedule_many(session: Session, items: Sequence[Owed], *, now: datetime) -> list[Delivery]:
    """schedule() for many messages at once: one look-up per 500 keys and one flush, however
    many (planning a session of 2,000 people is not 2,000 round trips). Same semantics: a
    key already recorded keeps its row unchanged."""
    return _record(session, items, existing_by_key(session, (i.key for i in items)), now=now)


def _record(
    session: Session, items: Sequence[Owed], existing: dict[str, Delivery], *, now: datetime
) -> list[Delivery]:
    """schedule_many() once `existing` (the rows already under these keys) is known."""
    existing = dict(existing)
    new: dict[str, dict[str, Any]] = {}
    teams = _teams_of(
        session,
        {i.project_id for i in items if i.project_id is not None and i.key not in existing},
    )
    for item in items:
        if item.key in existing or item.key in new:
            continue
        new[item.key] = _new_row(item, item.team_id or teams.get(item.project_id or 0), now=now)
    if new:
        try:
            with session.begin_nested():
                # one executemany, then the rows (and their ids) in a query per 500 keys
                session.execute(insert(Delivery), list(new.values()))
        except IntegrityError:
            # another process recorded some of the same keys meanwhile: one by one, as ever
            return [_schedule_one(session, item, now=now) for item in items]
        created = existing_by_key(session, new)
        for key in new:
            queue_alarm(session, created[key].id, created[key].due_at)
        existing.update(created)
    return [existing[item.key] for item in items]


def _schedule_one(session: Session, item: Owed, *, now: datetime) -> Delivery:
    """schedule(), for one owed message."""
    existing = session.scalar(select(Delivery).where(Delivery.idempotency_key == item.key))
    if existing is not None:
        return existing
    team_id = item.team_id
    if team_id is None and item.project_id is not None:
        team_id = _teams_of(session, [item.project_id]).get(item.project_id)
    row = Delivery(**_new_row(item, team_id, now=now))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # another process recorded the same key between our look and our insert
        existing = session.scalar(select(Delivery).where(Delivery.idempotency_key == item.key))
        assert existing is not None
        return existing
    queue_alarm(session, row.id, item.due_at)
    return row


def _new_row(item: Owed, team_id: str | None, *, now: datetime) -> dict[str, Any]:
    """The columns of the ledger row that records `item`, going to workspace `team_id`."""
    return {
        "idempotency_key": item.key,
        "kind": item.kind,
        "target": item.target,
        "due_at": item.due_at,
        "project_id": item.project_id,
        "team_id": team_id,
        "subject_type": item.subject[0] if item.subject else None,
        "subject_id": item.subject[1] if item.subject else None,
        "payload": dict(item.payload),
        "status": DeliveryStatus.SCHEDULED,
        "attempts": 0,
        "escalate_to": item.escalate_to,
        "created_at": now,
        "updated_at": now,
    }


def _teams_of(session: Session, project_ids: Collection[int]) -> dict[int, str]:
    """The workspace of each of these projects, in a query per 500."""
    ids = sorted(project_ids)
    teams: dict[int, str] = {}
    for start in range(0, len(ids), KEYS_PER_QUERY):
        rows = session.execute(
            select(Project.id, Project.team_id).where(
                Project.id.in_(ids[start : start + KEYS_PER_QUERY])
            )
        )
        teams.update({int(pid): str(team) for pid, team in rows})
    return teams


def stop_workspaces(
    session: Session, *, team_ids: Collection[str], reason: str, now: datetime
) -> int:
    """A workspace uninstalled cobot (or revoked its token): cancel everything still owed
    there, saying why (the workspace's own deliveries only). Returns how many."""
    if not team_ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.team_id.in_(sorted(team_ids)),
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
        .values(
            status=DeliveryStatus.CANCELLED,
            last_error=reason,
            retry_at=None,
            updated_at=now,
            finished_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _stopped_because(session: Session, team_id: str | None) -> str | None:
    """Why this workspace takes no more messages (cobot was uninstalled there), if so."""
    if team_id is None:
        return None
    workspace = session.get(Workspace, team_id)
    if workspace is None or workspace.uninstalled_at is None:
        return None
    return workspace.stopped_because or "app_uninstalled"


def reconcile(session: Session, *, subject: Scope, owed: Sequence[Owed], now: datetime) -> None:
    """Make the ledger match what is owed now, inside the caller's transaction: a new key is
    scheduled, a cancelled one owed again is reopened (with the owed escalation), a scheduled
    one whose time changed moves, and a pending one in `subject`'s scope that is no longer
    owed is cancelled. Sent (and sending, failed, skipped) rows stay as they are: a key names
    "this message as it is owed now", so reopening a never-sent row cannot send it twice.

    A fixed number of statements however many rows: pending and existing rows are read in a
    query per 500, new ones recorded in one flush, cancelled ones in one update per 500."""
    keys = {item.key for item in owed}
    _cancel_unowed(session, subject, keys, now=now)
    existing = existing_by_key(session, keys)
    new: list[Owed] = []
    for item in owed:
        row = existing.get(item.key)
        due = item.due_at
        if due <= now:
            if not item.late_ok:
                continue
            due = now
        if row is None:
            new.append(replace(item, due_at=due))
        elif row.status == DeliveryStatus.CANCELLED:
            row.status = DeliveryStatus.SCHEDULED
            row.finished_at = None
            row.last_error = None
            row.attempts = 0
            row.escalate_to = item.escalate_to
            move(session, delivery=row, due_at=due, now=now)
        elif (
            row.status == DeliveryStatus.SCHEDULED
            and row.due_at != due
            # one already due stays due; one whose time changed moves with it
            and (row.due_at > now or item.due_at > now)
        ):
            move(session, delivery=row, due_at=due, now=now)
    if new:
        _record(session, new, existing, now=now)


def _cancel_unowed(session: Session, scope: Scope, keys: Collection[str], *, now: datetime) -> None:
    if not scope.kinds:
        return
    all_kinds = sorted(frozenset().union(*scope.kinds.values()))
    ids = list(scope.kinds)
    stale: list[int] = []
    for start in range(0, len(ids), KEYS_PER_QUERY):
        pending = session.execute(
            select(Delivery.id, Delivery.subject_id, Delivery.kind, Delivery.idempotency_key).where(
                Delivery.subject_type == scope.subject_type,
                Delivery.subject_id.in_(ids[start : start + KEYS_PER_QUERY]),
                Delivery.status == DeliveryStatus.SCHEDULED,
                Delivery.kind.in_(all_kinds),
            )
        )
        stale.extend(
            row_id
            for row_id, subject_id, kind, key in pending
            if kind in scope.kinds.get(subject_id or 0, ()) and key not in keys
        )
    _cancel_ids(session, stale, now=now)


def _cancel_ids(session: Session, ids: Sequence[int], *, now: datetime) -> list[int]:
    """Cancel these deliveries if still scheduled, in an update per 500 ids."""
    for start in range(0, len(ids), KEYS_PER_QUERY):
        session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(list(ids[start : start + KEYS_PER_QUERY])),
                Delivery.status == DeliveryStatus.SCHEDULED,
            )
            .values(status=DeliveryStatus.CANCELLED, updated_at=now, finished_at=now)
            .execution_options(synchronize_session="fetch")
        )
    return list(ids)


def cancel(session: Session, rows: Iterable[Delivery], *, now: datetime) -> list[int]:
    """Cancel these not-yet-sent deliveries (any already sent or sending are left alone);
    returns the ids asked for."""
    return _cancel_ids(session, [row.id for row in rows], now=now)


def due(
    *, now: datetime, cutoff: datetime | None = None, backoff: bool = True
) -> ColumnElement[bool]:
    """The one "due" condition, for the sweep and the claim alike: scheduled and due by
    `cutoff` (default now), and unless `backoff` is off past any retry back-off; or being
    sent under a claim whose lease has expired. Each branch is a range on (status, due_at)."""
    cutoff = now if cutoff is None else cutoff
    scheduled = and_(Delivery.status == DeliveryStatus.SCHEDULED, Delivery.due_at <= cutoff)
    if backoff:
        scheduled = and_(scheduled, or_(Delivery.retry_at.is_(None), Delivery.retry_at <= cutoff))
    expired = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
    return or_(scheduled, expired)


def cancel_subject(session: Session, *, subject: tuple[str, int], now: datetime) -> list[int]:
    """Cancel every not-yet-sent delivery about `subject`; returns their ids."""
    rows = session.scalars(
        select(Delivery).where(
            Delivery.subject_type == subject[0],
            Delivery.subject_id == subject[1],
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
    ).all()
    return cancel(session, rows, now=now)


def cancel_target(
    session: Session, *, target: str, project_ids: Collection[int], now: datetime
) -> list[int]:
    """Cancel every not-yet-sent delivery to `target` in these projects (erasure: nothing
    more goes to a person who asked to be forgotten); returns their ids."""
    if not project_ids:
        return []
    rows = session.scalars(
        select(Delivery).where(
            Delivery.target == target,
            Delivery.project_id.in_(list(project_ids)),
            Delivery.status == DeliveryStatus.SCHEDULED,
        )
    ).all()
    return cancel(session, rows, now=now)


def erase_subjects(session: Session, *, subject_type: str, subject_ids: Sequence[int]) -> int:
    """Delete the ledger rows about these subjects, sent ones included: for private kinds
    (a check-in, a contact alert) even that a message was owed says something about the
    person. Unsent ones simply never go (their alarm finds no row). Returns how many."""
    if not subject_ids:
        return 0
    result = session.execute(
        delete(Delivery).where(
            Delivery.subject_type == subject_type, Delivery.subject_id.in_(list(subject_ids))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    after_commit.queue(session, ALARMS_KEY, [(delivery_id, when)])


def install_alarm_hook(factory: sessionmaker[Session], alarms: Alarms) -> None:
    """Send alarms queued in a transaction to `alarms` once it has committed and let go of
    its connection (see services/after_commit.py)."""

    def arm(queued: list[tuple[int, datetime]]) -> None:
        for delivery_id, when in queued:
            try:
                alarms.arm(delivery_id, when)
            except Exception:  # the sweep re-drives it; an alarm is only a hint
                log.exception("could not arm the alarm for delivery %s", delivery_id)

    after_commit.install(factory, ALARMS_KEY, arm)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    target: str
    message: OutgoingMessage
    team_id: str | None = None


class DeliveryRunner(Service):
    """Claims due deliveries, sends them and records the outcome.

    A circuit breaker shared by every thread of the process pauses all claims while Slack
    is failing; a transient failure never uses a delivery up, only its kind's lateness
    policy does. What Slack accepted is recorded however long the database takes to answer.
    """

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
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        record_retry_cap: float = 5.0,
        messenger_for: Callable[[str | None], Messenger] | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._messenger = messenger
        # one messenger per workspace (OAuth: each has its own token); default `messenger`
        self._messenger_for = messenger_for
        self._kinds = kinds
        self._worker_id = worker_id
        self._alarms = alarms
        self._lease = lease
        self._sweep_grace = sweep_grace
        self._breaker = breaker or CircuitBreaker()
        self._breaker_lock = threading.Lock()
        self._sleep = sleep
        self._record_retry_cap = record_retry_cap
        # posted but not yet recorded: never claimed again by this process meanwhile
        self._unrecorded: set[int] = set()
        # guards _unrecorded, _busy and _posting; notified whenever a send ends (drain waits)
        self._unrecorded_lock = threading.Condition()
        self._stopping = threading.Event()
        # draining (the process is going down): no new claims; _busy counts deliver() calls
        # under way, _posting the claimed rows whose post to Slack has begun
        self._draining = False
        self._busy = 0
        self._posting: set[int] = set()

    def slack_state(self) -> str:
        """ "ok", "unavailable" (breaker open) or "probing" (half-open), for readiness."""
        with self._breaker_lock:
            state = self._breaker.state_at(self._clock.now())
        return {
            BreakerState.CLOSED: "ok",
            BreakerState.OPEN: "unavailable",
            BreakerState.HALF_OPEN: "probing",
        }[state]

    def stop(self) -> None:
        """Stop waiting on the database to record a send (the process is going down)."""
        self._stopping.set()

    def drain(self, timeout: float) -> bool:
        """Take no new claims; wait up to `timeout` seconds for the sends under way to be
        posted and recorded; then release this worker's claims whose post never began (due
        again at once, for whoever sweeps next). A post still on the wire at the bound keeps
        its lease: Slack may yet take it, and sending it again now could send it twice.
        Returns whether nothing was left under way."""
        deadline = time.monotonic() + timeout
        with self._unrecorded_lock:
            self._draining = True
            while self._busy and (left := deadline - time.monotonic()) > 0:
                self._unrecorded_lock.wait(left)
            busy, posting = self._busy, set(self._posting)
        released = self._release_claims(keep=posting)
        if busy:
            log.warning("stopping with %d send(s) still under way; their leases expire", busy)
        log.info("deliveries drained (%d claim(s) released)", released)
        return busy == 0

    def _release_claims(self, *, keep: Collection[int]) -> int:
        now = self._clock.now()
        try:
            with transaction(self._factory) as session:
                query = update(Delivery).where(
                    Delivery.status == DeliveryStatus.SENDING,
                    Delivery.claimed_by == self._worker_id,
                )
                if keep:
                    query = query.where(Delivery.id.not_in(list(keep)))
                result = session.execute(
                    query.values(
                        status=DeliveryStatus.SCHEDULED, lease_until=None, updated_at=now
                    ).execution_options(synchronize_session=False)
                )
                return int(getattr(result, "rowcount", 0) or 0)
        except SQLAlchemyError:  # the leases expire on their own
            log.warning("could not release this worker's claims while stopping")
            return 0

    def deliver(self, delivery_id: int) -> str | None:
        """Try to send one delivery now; returns the status it ended in, or None if not ours
        (not due, claimed elsewhere, the breaker is pausing all sends, or draining)."""
        with self._unrecorded_lock:
            if delivery_id in self._unrecorded or self._draining:
                return None
            self._busy += 1
        try:
            return self._deliver(delivery_id)
        finally:
            with self._unrecorded_lock:
                self._busy -= 1
                self._posting.discard(delivery_id)
                self._unrecorded_lock.notify_all()

    def _deliver(self, delivery_id: int) -> str | None:
        with self._breaker_lock:
            if not self._breaker.allow(self._clock.now()):
                return None
            # a probe may take a row that is backing off: the breaker paces it already
            probing = self._breaker.state == BreakerState.HALF_OPEN
        try:
            claimed = self._claim(delivery_id, ignore_backoff=probing)
        except BaseException:
            self._release_probe()
            raise
        if claimed is None:
            self._release_probe()
            return None
        with self._unrecorded_lock:
            self._unrecorded.add(claimed.id)
            self._posting.add(claimed.id)
        try:
            try:
                messenger = (
                    self._messenger
                    if self._messenger_for is None
                    else self._messenger_for(claimed.team_id)
                )
                posted = messenger.post(claimed.target, claimed.message)
            except SlackSendError as exc:
                if exc.error == "ratelimited":
                    self._release_probe()  # Slack is up, only busy: the rate gate paces us
                elif exc.permanent:
                    self._breaker_success()  # Slack answered: it is up
                else:
                    self._breaker_failure()
                return self._record_failure(claimed, exc)
            except BaseException:
                # not an answer from Slack: a probe that never got one must not block others
                self._release_probe()
                raise
            self._breaker_success()
            self._record_sent(claimed, posted)
        finally:
            with self._unrecorded_lock:
                self._unrecorded.discard(claimed.id)
        return DeliveryStatus.SENT

    def sweep(
        self,
        *,
        limit: int = 200,
        grace: timedelta | None = None,
        still_leading: Callable[[], bool] | None = None,
    ) -> list[int]:
        """Drive everything due (older than the grace an alarm has to fire first) and every
        expired claim, in due order and in batches of `limit`, until none is left, the
        breaker pauses sending, or `still_leading` (checked between batches) says no."""
        now = self._clock.now()
        cutoff = now - (self._sweep_grace if grace is None else grace)
        driven: list[int] = []
        after: tuple[datetime, int] | None = None
        while True:
            state = self.slack_state()
            if state == "unavailable":
                return driven
            batch = self._due_batch(
                now=now, cutoff=cutoff, after=after, limit=limit, backoff=state == "ok"
            )
            recovered = False
            for delivery_id, _due in batch:
                if self.slack_state() == "unavailable":
                    return driven
                if self.deliver(delivery_id) is not None:
                    driven.append(delivery_id)
                if state != "ok" and self.slack_state() == "ok":
                    # Slack is back: start again from the earliest due, backed-off included
                    recovered = True
                    break
            if recovered:
                after = None
                continue
            if len(batch) < limit:
                return driven
            if still_leading is not None and not still_leading():
                return driven
            after = (batch[-1][1], batch[-1][0])

    def _due_batch(
        self,
        *,
        now: datetime,
        cutoff: datetime,
        after: tuple[datetime, int] | None,
        limit: int,
        backoff: bool = True,
    ) -> list[tuple[int, datetime]]:
        query = select(Delivery.id, Delivery.due_at).where(
            due(now=now, cutoff=cutoff, backoff=backoff)
        )
        if after is not None:
            query = query.where(
                or_(
                    Delivery.due_at > after[0],
                    and_(Delivery.due_at == after[0], Delivery.id > after[1]),
                )
            )
        with transaction(self._factory) as session:
            rows = session.execute(query.order_by(Delivery.due_at, Delivery.id).limit(limit))
            return [(int(r[0]), r[1]) for r in rows]

    def next_due(self, *, before: datetime) -> datetime | None:
        """The earliest time from now to `before` something scheduled falls due (one
        indexed query; lets an alarm re-arm for the rest of its minute)."""
        after = self._clock.now()
        with transaction(self._factory) as session:
            when: datetime | None = session.scalar(
                select(func.min(Delivery.due_at)).where(
                    Delivery.status == DeliveryStatus.SCHEDULED,
                    Delivery.due_at > after,
                    Delivery.due_at <= before,
                )
            )
        return when

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

    def _claim(self, delivery_id: int, *, ignore_backoff: bool = False) -> _Claimed | None:
        now = self._clock.now()
        with transaction(self._factory) as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, due(now=now, backoff=not ignore_backoff))
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
            stopped = _stopped_because(session, row.team_id)
            if stopped is not None:
                # the workspace uninstalled cobot: nothing more goes there, nor escalates
                self._finish(row, DeliveryStatus.SKIPPED, stopped)
                return None
            if kind.lateness.too_late(due_at=row.due_at, now=now):
                self._finish(row, DeliveryStatus.SKIPPED, kind.lateness.reason)
                self._escalate(session, row, kind, now)
                return None
            message = kind.render(session, row)
            if message is None:
                self._finish(row, DeliveryStatus.SKIPPED, "no longer needed")
                return None
            return _Claimed(
                id=row.id, kind=row.kind, target=row.target, message=message, team_id=row.team_id
            )

    def _record_sent(self, claimed: _Claimed, posted: PostedMessage) -> None:
        """Record what Slack accepted, retrying (capped back-off) until the database answers:
        re-posting because the record failed would send the message twice."""
        delay = 0.05
        while True:
            try:
                self._write_sent(claimed, posted)
                break
            except SQLAlchemyError as exc:
                if self._stopping.is_set():
                    log.error(
                        "delivery %s was posted but could not be recorded before stopping",
                        claimed.id,
                    )
                    raise
                log.warning(
                    "delivery %s posted; recording it failed (%s), retrying in %.1f s",
                    claimed.id,
                    type(exc).__name__,
                    delay,
                )
                self._sleep(delay)
                delay = min(delay * 2, self._record_retry_cap)
        log.info("delivery %s (%s) sent", claimed.id, claimed.kind)

    def _write_sent(self, claimed: _Claimed, posted: PostedMessage) -> None:
        now = self._clock.now()
        with transaction(self._factory) as session:
            # whoever claimed it last, the message went out: sent is final (a reclaim by
            # another worker after the lease expired must not send it again)
            session.execute(
                update(Delivery)
                .where(Delivery.id == claimed.id, Delivery.status == DeliveryStatus.SENDING)
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

    def _record_failure(self, claimed: _Claimed, exc: SlackSendError) -> str:
        now = self._clock.now()
        with transaction(self._factory) as session:
            row = session.get(Delivery, claimed.id)
            if row is None or row.status != DeliveryStatus.SENDING:
                return row.status if row is not None else DeliveryStatus.CANCELLED
            kind = self._kinds.get(row.kind)
            if exc.permanent:
                self._finish(row, DeliveryStatus.FAILED, exc.error)
                if kind is not None:
                    self._escalate(session, row, kind, now)
                log.warning("delivery %s (%s) failed: %s", row.id, row.kind, exc.error)
                return DeliveryStatus.FAILED
            retry_at = now + retry_delay(row.attempts)
            if kind is not None and kind.lateness.too_late(due_at=row.due_at, now=retry_at):
                # the next try would already be pointless: say so now, not after the wait
                self._finish(row, DeliveryStatus.SKIPPED, f"{kind.lateness.reason} ({exc.error})")
                self._escalate(session, row, kind, now)
                log.warning("delivery %s (%s) skipped: Slack kept failing", row.id, row.kind)
                return DeliveryStatus.SKIPPED
            row.status = DeliveryStatus.SCHEDULED
            row.retry_at = retry_at
            row.lease_until = None
            row.last_error = exc.error
            row.updated_at = now
            queue_alarm(session, row.id, retry_at)
            log.info("delivery %s will be retried: %s", row.id, exc.error)
            return DeliveryStatus.SCHEDULED

    # -- the breaker -----------------------------------------------------------------------

    def _release_probe(self) -> None:
        with self._breaker_lock:
            self._breaker.release_probe()

    def _breaker_failure(self) -> None:
        with self._breaker_lock:
            opened = self._breaker.failure(self._clock.now())
            pause = self._breaker.current_open_for()
        if opened:
            log.warning("Slack is failing: all sending paused for %s", pause)

    def _breaker_success(self) -> None:
        with self._breaker_lock:
            recovered = self._breaker.success()
        if recovered:
            log.info("Slack answers again: sending resumes, in due order")
            self._release_backoffs()

    def _release_backoffs(self) -> None:
        """Slack is back: what was backing off goes out now, in due order with the rest."""
        now = self._clock.now()
        try:
            with transaction(self._factory) as session:
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.status == DeliveryStatus.SCHEDULED,
                        Delivery.retry_at.is_not(None),
                    )
                    .values(retry_at=None, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
        except SQLAlchemyError:  # only a speed-up: the back-offs end on their own
            log.warning("could not release backed-off deliveries after Slack recovered")

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
            key=owed_key("problem", row.id, row.attempts),
            kind=PROBLEM_KIND,
            target=row.escalate_to,
            due_at=now,
            now=now,
            project_id=row.project_id,
            subject=("delivery", row.id),
            payload={"delivery_id": row.id},
            team_id=row.team_id,
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


@dataclass(frozen=True)
class Presented(Generic[Note]):
    """A renderer in two steps: `build` works out what the delivery should say now (None:
    nothing any more) and `present` makes that a message (slack/blocks does, at send time)."""

    build: Callable[[Session, Delivery], Note | None]
    present: Callable[[Note], OutgoingMessage]

    def __call__(self, session: Session, delivery: Delivery) -> OutgoingMessage | None:
        note = self.build(session, delivery)
        return self.present(note) if note is not None else None


def kinds_rendered_by(
    render: Renderer, lateness: Mapping[str, LatenessPolicy | None]
) -> tuple[DeliveryKind, ...]:
    """A feature's kinds, all rendered by `render`; `lateness` names each kind with how late
    it may still go (None: always useful)."""
    return tuple(
        DeliveryKind(name=name, render=render, lateness=policy or ALWAYS_USEFUL)
        for name, policy in lateness.items()
    )


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
