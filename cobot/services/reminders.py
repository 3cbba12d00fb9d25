"""Reminders around each session, scheduled through the deliveries ledger.

Every message is a row in the ledger (kind, target, due time, idempotency key) whose text is
rendered at send time from the session's current state: a reminder whose work is done
(agenda shared, notes posted, checklist ticked) renders None and the ledger skips it.
Keys carry the session's revision, so a moved session owes its reminders afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Literal

from sqlalchemy.orm import Session

from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionChanged

# re-exported: what slack/blocks/reminders renders a reminder's session from
from cobot.domain.sessions import SessionFacts as SessionFacts
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.sessions import shift
from cobot.services import access
from cobot.services import deliveries
from cobot.services import session_changes
from cobot.services.access import AccessError
from cobot.services.base import Service
from cobot.services.deadlines import Deadlines
from cobot.services.deliveries import DeliveryKind
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.session_deliveries import SUBJECT as SUBJECT
from cobot.services.session_deliveries import NotedKinds
from cobot.services.session_deliveries import SessionOwes
from cobot.services.session_deliveries import about_standing_session
from cobot.services.session_queries import scheduled_session
from cobot.services.session_queries import sessions_with_people
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Member
from cobot.storage.models import Project

# facilitators
PLAN_NEXT = "plan_next"
AGENDA_DUE = "agenda_due"
AGENDA_OVERDUE = "agenda_overdue"
ACCESSIBILITY = "accessibility"
# participants
REMINDER_DAY = "reminder_day"
REMINDER_HOUR = "reminder_hour"
AGENDA_SHARED = "agenda_shared"
NOTES_SHARED = "notes_shared"
# project team
NOTES_DUE = "notes_due"
NOTES_OVERDUE = "notes_overdue"
# coordinators
ONBOARDING = "onboarding_incomplete"

KINDS = (
    PLAN_NEXT,
    AGENDA_DUE,
    AGENDA_OVERDUE,
    ACCESSIBILITY,
    REMINDER_DAY,
    REMINDER_HOUR,
    AGENDA_SHARED,
    NOTES_SHARED,
    NOTES_DUE,
    NOTES_OVERDUE,
    ONBOARDING,
)
# these depend on the other sessions of the project (the previous one, the first one)
STRUCTURAL = frozenset({PLAN_NEXT, ONBOARDING})
# these are about the session's time: a moved session makes them stale
TIMED = frozenset(KINDS) - {AGENDA_SHARED, NOTES_SHARED}

DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
# the agenda reminder comes a day before its deadline, so facilitators have a day to finish
# and share it; on the deadline itself the participants should already have it
AGENDA_WARNING = timedelta(days=1)
# notes not posted by their deadline get one more nudge a day later, then cobot stops
NOTES_NUDGE_AFTER = timedelta(days=1)
MAX_TEXT = 2900

# the participant onboarding checklist (Member columns), as the coordinator reads it
ONBOARDING_CHECKLIST = (
    ("briefing_done_at", "one-to-one briefing call"),
    ("training_done_at", "co-production training"),
    ("access_needs_done_at", "access needs noted"),
)

ACCESSIBILITY_CHECKLIST = (
    "Plain words, no jargon (or explain it when it comes up)",
    "Share the slides with participants before the session",
    "Describe the slides as you present them",
    "Use a microphone in a large room",
    "Ask everyone to state their name before speaking",
)


# ---------------------------------------------------------------- what a reminder says


@dataclass(frozen=True)
class ReminderNote:
    """One reminder, ready to present: which kind, to whom, about what."""

    kind: str
    target: str
    session: SessionFacts
    deadline: datetime | None = None
    facilitators: tuple[str, ...] = ()
    participants: int = 0
    # the agenda or the notes, for the messages that carry them
    text: str = ""
    by: str | None = None
    # agenda_overdue: the note to a coordinator rather than the nudge to a facilitator
    for_coordinator: bool = False
    # the deadline had already passed when this was sent (planned at short notice)
    late: bool = False
    # onboarding_incomplete: each participant with the labels of the items still to do
    onboarding: tuple[tuple[str, tuple[str, ...]], ...] = ()


Presenter = Callable[[ReminderNote], OutgoingMessage]


# ---------------------------------------------------------------- planning


def plan_session(
    session: Session, *, project: Project, cosession: CoSession, now: datetime
) -> None:
    """(Re)schedule every reminder of `cosession` for its current time and people.

    Pending reminders no longer owed (a moved session's old revision, a person taken off
    the session) are cancelled and the owed ones scheduled, in the caller's transaction.
    The other sessions' "plan the next session" and onboarding reminders follow too, since
    which session comes first or before another may have changed.
    """
    if cosession.status != SessionStatus.SCHEDULED:
        cancel_session(session, cosession=cosession, now=now)
        return
    scheduled = _scheduled(session, project.id, excluded=None)
    plans = [(cosession, frozenset(KINDS))] + [
        (other, STRUCTURAL)
        for other in scheduled
        if other.id != cosession.id and other.starts_at > now
    ]
    _replan(session, project, plans, now=now, scheduled=scheduled)


def cancel_session(session: Session, *, cosession: CoSession, now: datetime) -> None:
    """Cancel every reminder of a cancelled session; its reminders never arrive."""
    deliveries.cancel_subject(session, subject=(SUBJECT, cosession.id), now=now)
    project = session.get(Project, cosession.project_id)
    if project is not None:
        _replan_others(session, project, now=now, skip=cosession.id, excluded=cosession.id)


def on_session_changed(session: Session, event: SessionChanged, now: datetime) -> None:
    """A session was added, edited, moved or cancelled: its reminders (and the neighbouring
    sessions' "plan the next one" and onboarding reminders) follow."""
    session_changes.replan(session, event, now, plan=plan_session, cancel=cancel_session)


def _replan_others(
    session: Session, project: Project, *, now: datetime, skip: int, excluded: int | None
) -> None:
    """Re-plan the reminders of the other upcoming sessions that depend on their neighbours;
    `excluded` is a session being cancelled, which no longer counts as one."""
    scheduled = _scheduled(session, project.id, excluded=excluded)
    plans = [
        (other, STRUCTURAL) for other in scheduled if other.id != skip and other.starts_at > now
    ]
    _replan(session, project, plans, now=now, scheduled=scheduled)


def _scheduled(session: Session, project_id: int, *, excluded: int | None) -> list[CoSession]:
    """The project's scheduled workshops: the series the between-session pipeline is about
    (reflective practice and the celebration sit beside it, not in it)."""
    rows = sessions_with_people(
        session,
        CoSession.project_id == project_id,
        CoSession.status == SessionStatus.SCHEDULED,
        CoSession.kind == SessionKind.WORKSHOP,
    )
    return [row for row in rows if row.id != excluded]


def _replan(
    session: Session,
    project: Project,
    plans: Sequence[tuple[CoSession, frozenset[str]]],
    *,
    now: datetime,
    scheduled: list[CoSession],
) -> None:
    """Bring each planned session's reminders of these kinds to what it owes now, in a
    fixed number of queries however many sessions and people (see deliveries.reconcile)."""
    if not plans:
        return
    owed = [
        o
        for cosession, kinds in plans
        for o in _owed(project, cosession, now=now, others=scheduled)
        if o.kind in kinds
    ]
    scope = deliveries.Scope(SUBJECT, {cosession.id: kinds for cosession, kinds in plans})
    deliveries.reconcile(session, subject=scope, owed=owed, now=now)


def _owed(
    project: Project, cosession: CoSession, *, now: datetime, others: list[CoSession]
) -> list[deliveries.Owed]:
    """Everything `cosession` owes, by the project's lead times, at its current revision;
    `others` are the project's scheduled workshops (see _scheduled())."""
    deadlines = Deadlines.of(project)
    lead, tz = deadlines.lead, deadlines.tz
    start = cosession.starts_at
    upcoming = start > now
    prefix = f"session:{cosession.id}:r{cosession.revision}"
    facilitators = _unique(cosession.user_ids(SessionRole.FACILITATOR))
    participants = _unique(cosession.user_ids(SessionRole.PARTICIPANT))
    coordinators = access.people_with(project, Role.COORDINATOR)
    team = access.team_or_coordinators(project)
    owes = SessionOwes(cosession, coordinators, prefix)
    add, owed = owes.add, owes.owed

    if cosession.kind == SessionKind.REFLECTIVE:
        # reflective practice is reminded by the debriefs feature, with the debriefs so far
        return []
    if cosession.kind != SessionKind.WORKSHOP:
        # a celebration or launch: people only need to know when and where it is
        add(REMINDER_DAY, participants, shift(start, -DAY_BEFORE, tz), late_ok=False)
        add(REMINDER_HOUR, participants, start - HOUR_BEFORE, late_ok=upcoming)
        return owed
    earlier = [s for s in others if s.id != cosession.id and s.starts_at < start]
    if earlier:
        # after the previous session's debrief and collated feedback; skipped when already
        # past at planning (the agenda reminder then prompts the planning)
        previous = max(earlier, key=lambda s: s.starts_at)
        plan_at = deadlines.feedback(previous)
        if plan_at < start:
            add(PLAN_NEXT, facilitators, plan_at, late_ok=False)
    deadline = deadlines.agenda(cosession)
    # late but before the session: the agenda is still worth sharing, so ask now
    add(AGENDA_DUE, facilitators, shift(deadline, -AGENDA_WARNING, tz), late_ok=upcoming)
    # a deadline already gone when the session is planned is no one's fault: no overdue note
    add(AGENDA_OVERDUE, _unique([*facilitators, *coordinators]), deadline, late_ok=False)
    # the checklist is still worth doing until the session starts
    add(ACCESSIBILITY, facilitators, shift(start, -lead.accessibility_before, tz), late_ok=upcoming)
    # the day-before reminder is worth sending late (a session planned or moved at short
    # notice) unless the hour-before one is due as well
    add(
        REMINDER_DAY,
        participants,
        shift(start, -DAY_BEFORE, tz),
        late_ok=start - HOUR_BEFORE > now,
    )
    add(REMINDER_HOUR, participants, start - HOUR_BEFORE, late_ok=upcoming)
    notes_at = deadlines.notes(cosession)
    # notes are owed however late, until posted; the second nudge only in its own time
    add(NOTES_DUE, team, notes_at, late_ok=True)
    add(NOTES_OVERDUE, team, shift(notes_at, NOTES_NUDGE_AFTER, tz), late_ok=False)
    if others and others[0].id == cosession.id:
        first_key = f"project:{project.id}:onboarding:s{cosession.id}:r{cosession.revision}"
        due = shift(start, -lead.onboarding_before, tz)
        add(ONBOARDING, coordinators, due, late_ok=upcoming, under=first_key)
    # people added after the agenda or notes went out get them too (once per person, ever)
    for kind, done in (
        (AGENDA_SHARED, cosession.agenda_shared_at),
        (NOTES_SHARED, cosession.notes_posted_at),
    ):
        if done is not None:
            add(kind, participants, now, late_ok=True, under=f"session:{cosession.id}:{kind}")
    return owed


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- rendering at send time


def reminder_kinds(*, present: Presenter, clock: Clock | None = None) -> Sequence[DeliveryKind]:
    """The delivery kinds reminders use; `present` turns a reminder into a message."""
    day_late = "it was more than a day late"
    return NotedKinds[ReminderNote](build_note, present).kinds(
        {
            PLAN_NEXT: None,
            AGENDA_DUE: LatenessPolicy(AGENDA_WARNING, "its deadline had passed"),
            AGENDA_OVERDUE: LatenessPolicy(timedelta(days=1), day_late),
            ACCESSIBILITY: LatenessPolicy(DAY_BEFORE, day_late),
            REMINDER_DAY: LatenessPolicy(
                DAY_BEFORE - HOUR_BEFORE, "the hour-before reminder covers it"
            ),
            REMINDER_HOUR: LatenessPolicy(HOUR_BEFORE, "the session had already started"),
            AGENDA_SHARED: None,
            NOTES_SHARED: None,
            NOTES_DUE: None,
            NOTES_OVERDUE: None,
            ONBOARDING: None,
        },
        clock=clock,
    )


# a reminder sent within this of its deadline still says "due by"; later ones say "was due"
LATE_AFTER = timedelta(hours=1)


@about_standing_session(revisioned=TIMED)
def build_note(  # noqa: C901
    session: Session, delivery: Delivery, cosession: CoSession, project: Project, *, now: datetime
) -> ReminderNote | None:
    """What `delivery` should say now, or None when it no longer applies."""
    kind = delivery.kind
    target = delivery.target
    facilitators = tuple(_unique(cosession.user_ids(SessionRole.FACILITATOR)))
    participants = tuple(_unique(cosession.user_ids(SessionRole.PARTICIPANT)))
    started = cosession.starts_at <= now
    deadlines = Deadlines.of(project)
    facts = access.session_facts(cosession, project)
    note = ReminderNote(
        kind=kind,
        target=target,
        session=facts,
        facilitators=facilitators,
        participants=len(participants),
    )
    if kind in (PLAN_NEXT, AGENDA_DUE, ACCESSIBILITY):
        done = {
            PLAN_NEXT: cosession.plan_done_at,
            AGENDA_DUE: cosession.agenda_shared_at,
            ACCESSIBILITY: cosession.accessibility_done_at,
        }[kind]
        if started or done is not None or target not in facilitators:
            return None
        deadline = deadlines.agenda(cosession)
        return replace(note, deadline=deadline, late=deadline + LATE_AFTER < now)
    if kind == AGENDA_OVERDUE:
        if started or cosession.agenda_shared_at is not None:
            return None
        deadline = deadlines.agenda(cosession)
        if target in facilitators:
            return replace(note, deadline=deadline)
        if target in access.people_with(project, Role.COORDINATOR):
            return replace(note, deadline=deadline, for_coordinator=True)
        return None
    if kind in (REMINDER_DAY, REMINDER_HOUR):
        if started or target not in participants:
            return None
        return replace(note, text=cosession.agenda_text if cosession.agenda_shared_at else "")
    if kind in (AGENDA_SHARED, NOTES_SHARED):
        text = cosession.agenda_text if kind == AGENDA_SHARED else cosession.notes_text
        by = cosession.agenda_shared_by if kind == AGENDA_SHARED else cosession.notes_posted_by
        if not text.strip() or target not in participants:
            return None
        return replace(note, text=text, by=by)
    if kind in (NOTES_DUE, NOTES_OVERDUE):
        if cosession.notes_posted_at is not None or not _in_team(project, target):
            return None
        deadline = deadlines.notes(cosession)
        return replace(note, deadline=deadline, late=deadline + LATE_AFTER < now)
    if kind == ONBOARDING:
        first = _scheduled(session, project.id, excluded=None)
        if started or not first or first[0].id != cosession.id:
            return None
        if target not in access.people_with(project, Role.COORDINATOR):
            return None
        gaps = unfinished_onboarding(project)
        if not gaps:
            return None
        return replace(note, onboarding=gaps)
    return None


def unfinished_onboarding(project: Project) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Participants with checklist items still to do, and those items' labels."""
    gaps: list[tuple[str, tuple[str, ...]]] = []
    for member in project.members:
        if member.role != Role.PARTICIPANT:
            continue
        missing = _missing(member)
        if missing:
            gaps.append((member.user_id, missing))
    return tuple(gaps)


def _missing(member: Member) -> tuple[str, ...]:
    return tuple(label for column, label in ONBOARDING_CHECKLIST if getattr(member, column) is None)


def _in_team(project: Project, user_id: str) -> bool:
    role = access.role_of(project, user_id)
    return role in (Role.PROJECT_TEAM, Role.COORDINATOR)


# ---------------------------------------------------------------- acting on a reminder


class NotAllowed(AccessError):
    """Someone pressed a reminder's button that is not theirs to press."""


class InvalidText(AccessError):
    """The agenda or notes typed in a modal cannot be used as they are."""


@dataclass(frozen=True)
class ShareForm:
    """What the agenda or notes modal shows before someone shares."""

    session_id: int
    title: str
    starts_at: datetime
    timezone: str
    text: str
    shared_at: datetime | None
    shared_by: str | None
    recipients: int


@dataclass(frozen=True)
class Shared:
    """The agenda or notes were saved; `messaged` participants get them now."""

    session_id: int
    title: str
    first_time: bool
    messaged: int
    recipients: int


@dataclass(frozen=True)
class Done:
    """A checklist or plan marked done (`already` when someone had done it before)."""

    session_id: int
    title: str
    done_at: datetime
    already: bool


class Reminders(Service):
    """What people do from a reminder: share the agenda, post notes, tick things done."""

    def agenda_form(self, *, team_id: str, user_id: str, session_id: int) -> ShareForm:
        """The agenda modal's content, for one of the session's facilitators."""
        with transaction(self._factory) as db:
            cosession, project = _facilitated(db, team_id, user_id, session_id, "share its agenda")
            return _share_form(
                cosession,
                project,
                cosession.agenda_text,
                cosession.agenda_shared_at,
                cosession.agenda_shared_by,
            )

    def share_agenda(self, *, team_id: str, user_id: str, session_id: int, text: str) -> Shared:
        """Store the agenda and send it to every participant once; sharing again updates
        the stored agenda (shown in later reminders) without messaging anyone twice."""
        now = self._clock.now()
        cleaned = _clean(text, "agenda and materials")
        with transaction(self._factory) as db:
            cosession, _project = _facilitated(db, team_id, user_id, session_id, "share its agenda")
            first = cosession.agenda_shared_at is None
            cosession.agenda_text = cleaned
            if first:
                cosession.agenda_shared_at = now
                cosession.agenda_shared_by = user_id
            return _share(db, cosession, AGENDA_SHARED, first=first, now=now)

    def notes_form(self, *, team_id: str, user_id: str, session_id: int) -> ShareForm:
        """The notes modal's content, for the project team or a coordinator."""
        with transaction(self._factory) as db:
            cosession, project = _noted(db, team_id, user_id, session_id, now=self._clock.now())
            return _share_form(
                cosession,
                project,
                cosession.notes_text,
                cosession.notes_posted_at,
                cosession.notes_posted_by,
            )

    def post_notes(self, *, team_id: str, user_id: str, session_id: int, text: str) -> Shared:
        """Store the session's notes and send them to every participant once."""
        now = self._clock.now()
        cleaned = _clean(text, "notes")
        with transaction(self._factory) as db:
            cosession, _project = _noted(db, team_id, user_id, session_id, now=now)
            first = cosession.notes_posted_at is None
            cosession.notes_text = cleaned
            if first:
                cosession.notes_posted_at = now
                cosession.notes_posted_by = user_id
            return _share(db, cosession, NOTES_SHARED, first=first, now=now)

    def accessibility_done(self, *, team_id: str, user_id: str, session_id: int) -> Done:
        """A facilitator ticked the accessibility checklist: its reminders stop."""
        return self._tick(
            team_id,
            user_id,
            session_id,
            "accessibility_done_at",
            "tick its accessibility checklist",
        )

    def plan_done(self, *, team_id: str, user_id: str, session_id: int) -> Done:
        """A facilitator marked the session planned: its planning reminders stop."""
        return self._tick(team_id, user_id, session_id, "plan_done_at", "mark it as planned")

    def _tick(
        self,
        team_id: str,
        user_id: str,
        session_id: int,
        column: Literal["accessibility_done_at", "plan_done_at"],
        doing: str,
    ) -> Done:
        """Record once when a facilitator did a step (the reminders about it then stop)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            cosession, _project = _facilitated(db, team_id, user_id, session_id, doing)
            done_at: datetime | None = getattr(cosession, column)
            already = done_at is not None
            if done_at is None:
                done_at = now
                setattr(cosession, column, now)
                cosession.updated_at = now
            return Done(cosession.id, cosession.title, done_at, already)


def _clean(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidText(f"Write the {what}, or paste links to them.")
    if len(cleaned) > MAX_TEXT:
        raise InvalidText(
            f"Keep the {what} under {MAX_TEXT} characters; link to longer documents instead."
        )
    return cleaned


def _share_form(
    cosession: CoSession,
    project: Project,
    text: str,
    shared_at: datetime | None,
    shared_by: str | None,
) -> ShareForm:
    """The modal for a text a session's people share with its participants (the agenda,
    the notes): what is stored, and who shared it first and when."""
    return ShareForm(
        session_id=cosession.id,
        title=cosession.title,
        starts_at=cosession.starts_at,
        timezone=project.timezone,
        text=text,
        shared_at=shared_at,
        shared_by=shared_by,
        recipients=len(_unique(cosession.user_ids(SessionRole.PARTICIPANT))),
    )


def _share(db: Session, cosession: CoSession, kind: str, *, first: bool, now: datetime) -> Shared:
    """Send the text just stored to every participant once (only the `first` sharing
    messages them; later ones update what reminders show)."""
    cosession.updated_at = now
    return _send_to_participants(db, cosession, kind, first=first, now=now)


# a scheduled session of the asking workspace and its project; a cancelled one is refused
_live = partial(
    scheduled_session, cancelled="That session was cancelled, so there is nothing to do for it."
)


def _facilitated(
    db: Session, team_id: str, user_id: str, session_id: int, what: str
) -> tuple[CoSession, Project]:
    cosession, project = _live(db, team_id, session_id)
    facilitators = _unique(cosession.user_ids(SessionRole.FACILITATOR))
    if user_id not in facilitators:
        who = ", ".join(f"<@{f}>" for f in facilitators) or "its facilitators"
        raise NotAllowed(
            f"Only the facilitators of “{cosession.title}” ({who}) can {what}. Nothing was changed."
        )
    return cosession, project


def _noted(
    db: Session, team_id: str, user_id: str, session_id: int, *, now: datetime
) -> tuple[CoSession, Project]:
    cosession, project = _live(db, team_id, session_id)
    if not _in_team(project, user_id):
        team = access.people_with(project, Role.PROJECT_TEAM) + access.people_with(
            project, Role.COORDINATOR
        )
        who = ", ".join(f"<@{u}>" for u in _unique(team)) or "your coordinator"
        raise NotAllowed(
            f"Only the project team or a coordinator ({who}) can post the notes of "
            f"“{cosession.title}”. Nothing was changed."
        )
    if cosession.starts_at > now:
        raise AccessError(
            f"“{cosession.title}” has not happened yet: post its notes after the session."
        )
    return cosession, project


def _send_to_participants(
    db: Session, cosession: CoSession, kind: str, *, first: bool, now: datetime
) -> Shared:
    """One DM per participant, keyed per person so sharing twice messages nobody twice."""
    participants = _unique(cosession.user_ids(SessionRole.PARTICIPANT))
    project = db.get(Project, cosession.project_id)
    coordinators = access.people_with(project, Role.COORDINATOR) if project else []
    owes = SessionOwes(cosession, coordinators, f"session:{cosession.id}")
    keys = {user: f"session:{cosession.id}:{kind}:{user}" for user in participants}
    # everyone's key in one look-up and the new rows in one insert, however many people
    already = deliveries.existing_by_key(db, keys.values())
    owed = [owes.one(key, kind, user, now) for user, key in keys.items() if key not in already]
    deliveries.schedule_many(db, owed, now=now)
    messaged = len(owed)
    return Shared(
        session_id=cosession.id,
        title=cosession.title,
        first_time=first,
        messaged=messaged,
        recipients=len(participants),
    )
