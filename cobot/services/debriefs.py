"""Debriefs and the feedback loop between sessions, through the deliveries ledger.

When a session ends its facilitators and the project team are asked to debrief, and nudged
until they do or skip. When every facilitator has answered (or the deadline passes) one
collated summary goes to the practitioners' channel (or, without one, to the facilitators
and coordinators), developmental feedback goes privately to each person it names, and
actions become tracked items with reminders before the next session. Participants are asked
for short, optional feedback, collated for the facilitators before they plan the next one.

Everything owed is a ledger row planned with the session (keys carry its revision), and
rendered at send time from current state: done or closed things render None and are skipped.
Feelings stay with their author: nothing here renders them for anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cobot.domain.debriefs import MIN_GROUP
from cobot.domain.debriefs import QUESTION_KEYS
from cobot.domain.debriefs import CleanDebrief
from cobot.domain.debriefs import DebriefInput
from cobot.domain.debriefs import FeedbackInput
from cobot.domain.debriefs import Spread
from cobot.domain.debriefs import check_debrief
from cobot.domain.debriefs import check_feedback
from cobot.domain.debriefs import check_questions
from cobot.domain.debriefs import nudge_times
from cobot.domain.debriefs import questions_from_json
from cobot.domain.debriefs import spread
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionFacts
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
from cobot.services.involvement import attended
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.project_views import QuestionsForm
from cobot.services.project_views import of_project
from cobot.services.session_deliveries import SUBJECT
from cobot.services.session_deliveries import NotedKinds
from cobot.services.session_deliveries import SessionOwes
from cobot.services.session_deliveries import about_standing_session
from cobot.services.session_queries import scheduled_session
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Debrief
from cobot.storage.models import DebriefAction
from cobot.storage.models import DebriefDevNote
from cobot.storage.models import DebriefRound
from cobot.storage.models import DebriefSettings
from cobot.storage.models import Delivery
from cobot.storage.models import ParticipantFeedback
from cobot.storage.models import Project

SUBMITTED = "submitted"
SKIPPED = "skipped"
OPEN = "open"
DONE = "done"

PROMPT = "debrief_prompt"
NUDGE = "debrief_nudge"
SUMMARY = "debrief_summary"
DEV_NOTE = "debrief_dev_feedback"
ACTION_REMINDER = "debrief_action_reminder"
FEEDBACK_ASK = "feedback_ask"
FEEDBACK_DIGEST = "feedback_digest"
REFLECTIVE_REMINDER = "reflective_reminder"
# kinds planned with a session (action reminders are planned across sessions, dev notes at close)
SESSION_KINDS = (PROMPT, NUDGE, SUMMARY, FEEDBACK_ASK, FEEDBACK_DIGEST, REFLECTIVE_REMINDER)

ACTION_REMINDER_BEFORE = timedelta(days=1)
REFLECTIVE_BEFORE = timedelta(days=1)
RECENT_SESSIONS = 6
REFLECTIVE_DIGEST_SESSIONS = 5
# participant feedback waits this long (at most a quarter of the feedback window) for the
# attendance register, so that only those who came are asked
REGISTER_WAIT = timedelta(hours=2)


# ---------------------------------------------------------------- what messages say


@dataclass(frozen=True)
class PromptNote:
    """Ask (or nudge) someone to debrief a session."""

    session: SessionFacts
    deadline: datetime
    nudge: bool


@dataclass(frozen=True)
class ActionView:
    """An action as the team sees it."""

    id: int
    owner: str
    text: str
    session_title: str
    status: str = OPEN


@dataclass(frozen=True)
class Debriefers:
    """Who has debriefed one session (or skipped, or not yet), never what they wrote: what a
    collation and a completion view both start with."""

    session: SessionFacts
    debriefed: tuple[str, ...]
    skipped: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Collated(Debriefers):
    """What a session's debriefs say together: never feelings, never developmental feedback."""

    went_well: tuple[str, ...]
    change: tuple[str, ...]
    voices: tuple[str, ...]
    actions: tuple[ActionView, ...]


@dataclass(frozen=True)
class SummaryNote:
    """The one collated summary of a session's debriefs."""

    collated: Collated
    questions: dict[str, str]


@dataclass(frozen=True)
class DevNoteNote:
    """Developmental feedback for its addressee only."""

    session: SessionFacts
    author: str
    text: str


@dataclass(frozen=True)
class ActionReminderNote:
    """Remind an action's owner before the next session."""

    action: ActionView
    next_session: SessionFacts


@dataclass(frozen=True)
class FeedbackAskNote:
    """Ask a participant for short, optional feedback."""

    session: SessionFacts


@dataclass(frozen=True)
class FeedbackDigestNote:
    """Participant feedback collated for a session's facilitators."""

    session: SessionFacts
    answered: int
    invited: int
    heard: Spread
    keep: tuple[tuple[str, str | None], ...]
    change: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class ReflectiveNote:
    """A reflective practice session coming up, with the collated debriefs so far."""

    session: SessionFacts
    venue: str
    debriefs: tuple[Collated, ...]


DebriefNote = (
    PromptNote
    | SummaryNote
    | DevNoteNote
    | ActionReminderNote
    | FeedbackAskNote
    | FeedbackDigestNote
    | ReflectiveNote
)
Presenter = Callable[[DebriefNote], OutgoingMessage]


# ---------------------------------------------------------------- planning


def _cancel_pending(
    session: Session, session_id: int, kinds: Iterable[str], *, now: datetime
) -> None:
    """Nothing of these kinds is owed for this session any more."""
    scope = deliveries.Scope.of(SUBJECT, [session_id], kinds)
    deliveries.reconcile(session, subject=scope, owed=[], now=now)


def plan_session(
    session: Session, *, project: Project, cosession: CoSession, now: datetime
) -> None:
    """(Re)plan a session's debrief prompts, nudges, summary, feedback asks and digest (or a
    reflective session's reminders), in the caller's transaction; idempotent."""
    if cosession.status != SessionStatus.SCHEDULED:
        cancel_session(session, cosession=cosession, now=now)
        return
    owed = _owed(session, project, cosession, now=now)
    scope = deliveries.Scope.of(SUBJECT, [cosession.id], SESSION_KINDS)
    deliveries.reconcile(session, subject=scope, owed=owed, now=now)
    plan_actions(session, project, now=now)


def on_session_changed(session: Session, event: SessionChanged, now: datetime) -> None:
    """A session was added, edited, moved or cancelled: its debrief prompts, feedback asks
    and summary move with it (or go), and open actions are reminded before the next one."""
    session_changes.replan(session, event, now, plan=plan_session, cancel=cancel_session)


def cancel_session(session: Session, *, cosession: CoSession, now: datetime) -> None:
    """A cancelled session owes nothing; action reminders move to the next session."""
    _cancel_pending(session, cosession.id, (*SESSION_KINDS, ACTION_REMINDER), now=now)
    project = session.get(Project, cosession.project_id)
    if project is not None:
        plan_actions(session, project, now=now, excluded=cosession.id)


def plan_actions(
    session: Session, project: Project, *, now: datetime, excluded: int | None = None
) -> None:
    """Open actions are reminded to their owners before the project's next session."""
    upcoming = [
        s
        for s in _scheduled(session, project.id)
        if s.starts_at > now and s.id != excluded and s.kind == SessionKind.WORKSHOP
    ]
    actions = session.scalars(
        select(DebriefAction).where(
            DebriefAction.project_id == project.id, DebriefAction.status == OPEN
        )
    ).all()
    tz = ZoneInfo(project.timezone)
    owed: list[deliveries.Owed] = []
    if upcoming:
        first = upcoming[0]
        due = shift(first.starts_at, -ACTION_REMINDER_BEFORE, tz)
        prefix = f"debrief:s{first.id}:r{first.revision}"
        owes = SessionOwes(first, access.people_with(project, Role.COORDINATOR), prefix)
        owed = [
            owes.one(
                f"{prefix}:action:{a.id}",
                ACTION_REMINDER,
                a.owner,
                due,
                payload={"action_id": a.id},
            )
            for a in actions
            if a.session_id != first.id
        ]
    # the later sessions owe no action reminders (yet): any pending ones are cancelled
    scope = deliveries.Scope.of(SUBJECT, [s.id for s in upcoming], (ACTION_REMINDER,))
    deliveries.reconcile(session, subject=scope, owed=owed, now=now)


def _owed(
    session: Session, project: Project, cosession: CoSession, *, now: datetime
) -> list[deliveries.Owed]:
    deadlines = Deadlines.of(project)
    lead, tz = deadlines.lead, deadlines.tz
    prefix = f"debrief:s{cosession.id}:r{cosession.revision}"
    owes = SessionOwes(cosession, access.people_with(project, Role.COORDINATOR), prefix)
    add, owed = owes.add, owes.owed

    people = _unique(
        cosession.user_ids(SessionRole.FACILITATOR) + cosession.user_ids(SessionRole.PARTICIPANT)
    )
    if cosession.kind == SessionKind.REFLECTIVE:
        due = shift(cosession.starts_at, -REFLECTIVE_BEFORE, tz)
        add(REFLECTIVE_REMINDER, people, due, late_ok=cosession.starts_at > now)
        return owed
    if cosession.kind != SessionKind.WORKSHOP:
        return owed  # a celebration is not debriefed or fed back on like a workshop
    end = cosession.ends_at
    round_ = session.get(DebriefRound, cosession.id)
    deadline = deadlines.debrief(cosession)
    if deadline > now and (round_ is None or round_.closed_at is None):
        answered = _answers(session, cosession.id)
        debriefers = [d for d in who_debriefs(project, cosession) if d not in answered]
        add(PROMPT, debriefers, end, late_ok=True)
        for number, when in enumerate(nudge_times(end, lead.debrief_within), start=1):
            add(NUDGE, debriefers, when, late_ok=False, under=f"{prefix}:{NUDGE}{number}")
        settings = session.get(DebriefSettings, project.id)
        targets = (
            [settings.channel_id]
            if settings is not None and settings.channel_id
            else _unique(
                cosession.user_ids(SessionRole.FACILITATOR)
                + access.people_with(project, Role.COORDINATOR)
            )
        )
        # every facilitator has answered: the summary need not wait for the deadline
        due = now if _all_answered(session, cosession) and end <= now else deadline
        add(SUMMARY, targets, due, late_ok=True)
    participants = _participants(session, cosession)
    feedback_due = deadlines.feedback(cosession)
    if feedback_due > now and participants and (round_ is None or not round_.feedback_closed_at):
        saved = attended(session, cosession.id) is not None
        ask = end if saved else end + min(REGISTER_WAIT, lead.feedback_within / 4)
        add(FEEDBACK_ASK, participants, ask, late_ok=True)
        add(
            FEEDBACK_DIGEST,
            _unique(cosession.user_ids(SessionRole.FACILITATOR)),
            feedback_due,
            late_ok=True,
        )
    return owed


def _scheduled(session: Session, project_id: int) -> list[CoSession]:
    return list(
        session.scalars(
            select(CoSession)
            .where(CoSession.project_id == project_id, CoSession.status == SessionStatus.SCHEDULED)
            .order_by(CoSession.starts_at, CoSession.id)
        ).all()
    )


def _participants(session: Session, cosession: CoSession) -> list[str]:
    """Who is asked for feedback: the participants the saved attendance register says came.
    While the register is not saved (or if nobody ever saves it) every invited participant
    is asked, as before there was a register."""
    came = attended(session, cosession.id, SessionRole.PARTICIPANT)
    if came is None:
        return _unique(cosession.user_ids(SessionRole.PARTICIPANT))
    return came


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def who_debriefs(project: Project, cosession: CoSession) -> list[str]:
    """Who debriefs a session: its facilitators, with the project team (or the
    coordinators when there is no team). Home and governance ask this rule too."""
    return _unique(
        cosession.user_ids(SessionRole.FACILITATOR) + access.team_or_coordinators(project)
    )


def _answers(session: Session, session_id: int) -> dict[str, Debrief]:
    rows = session.scalars(select(Debrief).where(Debrief.session_id == session_id)).all()
    return {row.user_id: row for row in rows}


def _all_answered(session: Session, cosession: CoSession) -> bool:
    facilitators = _unique(cosession.user_ids(SessionRole.FACILITATOR))
    answered = _answers(session, cosession.id)
    return bool(facilitators) and all(f in answered for f in facilitators)


def _round(session: Session, session_id: int) -> DebriefRound:
    found = session.get(DebriefRound, session_id, with_for_update=True)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            found = DebriefRound(session_id=session_id)
            session.add(found)
            session.flush()
        return found
    except IntegrityError:
        # another sender created it between our look and our insert: wait for theirs
        found = session.get(DebriefRound, session_id, with_for_update=True, populate_existing=True)
        assert found is not None
        return found


def _collate(session: Session, project: Project, cosession: CoSession) -> Collated:
    answers = _answers(session, cosession.id)
    submitted = [a for a in answers.values() if a.status == SUBMITTED]
    submitted.sort(key=lambda a: a.created_at)
    actions = session.scalars(
        select(DebriefAction)
        .where(DebriefAction.session_id == cosession.id)
        .order_by(DebriefAction.id)
    ).all()
    debriefers = who_debriefs(project, cosession)
    return Collated(
        session=access.session_facts(cosession, project),
        went_well=tuple(a.went_well for a in submitted if a.went_well),
        change=tuple(a.change for a in submitted if a.change),
        voices=tuple(a.voices for a in submitted if a.voices),
        actions=tuple(_action_view(a, cosession.title) for a in actions),
        debriefed=tuple(u for u in debriefers if u in answers and answers[u].status == SUBMITTED),
        skipped=tuple(u for u in debriefers if u in answers and answers[u].status == SKIPPED),
        missing=tuple(u for u in debriefers if u not in answers),
    )


def _completion(
    session: Session, project: Project, cosession: CoSession, deadlines: Deadlines
) -> Completion:
    """Who has debriefed `cosession` (from its collated debriefs), and when that closed or
    closes."""
    collated = _collate(session, project, cosession)
    round_ = session.get(DebriefRound, cosession.id)
    return Completion(
        session=collated.session,
        debriefed=collated.debriefed,
        skipped=collated.skipped,
        missing=collated.missing,
        closed_at=round_.closed_at if round_ else None,
        deadline=deadlines.debrief(cosession),
    )


def _action_view(action: DebriefAction, title: str) -> ActionView:
    return ActionView(
        id=action.id,
        owner=action.owner,
        text=action.text,
        session_title=title,
        status=action.status,
    )


def _questions(session: Session, project_id: int) -> dict[str, str]:
    settings = session.get(DebriefSettings, project_id)
    return questions_from_json(settings.questions if settings is not None else None)


# ---------------------------------------------------------------- rendering at send time


def debrief_kinds(*, present: Presenter, clock: Clock | None = None) -> Sequence[DeliveryKind]:
    """The delivery kinds debriefs use; `present` turns a note into a message."""
    covered = "a later nudge or the summary covers it"
    return NotedKinds[DebriefNote](build_note, present).kinds(
        {
            PROMPT: None,
            NUDGE: LatenessPolicy(timedelta(hours=12), covered),
            SUMMARY: None,
            DEV_NOTE: None,
            ACTION_REMINDER: None,
            FEEDBACK_ASK: None,
            FEEDBACK_DIGEST: None,
            REFLECTIVE_REMINDER: None,
        },
        clock=clock,
    )


@about_standing_session(revisioned=SESSION_KINDS)
def build_note(  # noqa: C901
    session: Session, delivery: Delivery, cosession: CoSession, project: Project, *, now: datetime
) -> DebriefNote | None:
    """What `delivery` should say now, or None when it no longer applies.

    Rendering a summary closes the session's debriefs (once): from then on they cannot be
    edited, developmental feedback goes to its addressees and actions are reminded.
    """
    kind = delivery.kind
    target = delivery.target
    facts = access.session_facts(cosession, project)
    if kind in (PROMPT, NUDGE):
        round_ = session.get(DebriefRound, cosession.id)
        if round_ is not None and round_.closed_at is not None:
            return None
        if target not in who_debriefs(project, cosession):
            return None
        if target in _answers(session, cosession.id):
            return None
        deadline = Deadlines.of(project).debrief(cosession)
        return PromptNote(session=facts, deadline=deadline, nudge=kind == NUDGE)
    if kind == SUMMARY:
        _close(session, project, cosession, now=now)
        return SummaryNote(
            collated=_collate(session, project, cosession),
            questions=_questions(session, project.id),
        )
    if kind == DEV_NOTE:
        note = session.get(DebriefDevNote, int(delivery.payload.get("note_id", 0)))
        if note is None or note.to_user != target or note.debrief.status != SUBMITTED:
            return None
        return DevNoteNote(session=facts, author=note.debrief.user_id, text=note.text)
    if kind == ACTION_REMINDER:
        action = session.get(DebriefAction, int(delivery.payload.get("action_id", 0)))
        if action is None or action.status != OPEN or action.owner != target:
            return None
        if cosession.starts_at <= now:
            return None
        origin = session.get(CoSession, action.session_id)
        return ActionReminderNote(
            action=_action_view(action, origin.title if origin else ""), next_session=facts
        )
    if kind == FEEDBACK_ASK:
        round_ = session.get(DebriefRound, cosession.id)
        if round_ is not None and round_.feedback_closed_at is not None:
            return None
        if target not in _participants(session, cosession) or _feedback_of(
            session, cosession.id, target
        ):
            return None
        return FeedbackAskNote(session=facts)
    if kind == FEEDBACK_DIGEST:
        round_ = _round(session, cosession.id)
        if round_.feedback_closed_at is None:
            round_.feedback_closed_at = now
        if target not in cosession.user_ids(SessionRole.FACILITATOR):
            return None
        return _digest(session, cosession, facts)
    if kind == REFLECTIVE_REMINDER:
        if cosession.starts_at <= now or target not in cosession.user_ids(
            SessionRole.FACILITATOR
        ) + cosession.user_ids(SessionRole.PARTICIPANT):
            return None
        return ReflectiveNote(
            session=facts,
            venue=cosession.venue,
            debriefs=_debriefs_so_far(session, project, cosession),
        )
    return None


def _close(session: Session, project: Project, cosession: CoSession, *, now: datetime) -> None:
    """Close a session's debriefs once: send each developmental note to its addressee."""
    round_ = _round(session, cosession.id)
    if round_.closed_at is not None:
        return
    round_.closed_at = now
    # the nudges and prompts still pending will render nothing: cancel them now
    _cancel_pending(session, cosession.id, (PROMPT, NUDGE), now=now)
    prefix = f"debrief:s{cosession.id}:dev"
    owes = SessionOwes(cosession, access.people_with(project, Role.COORDINATOR), prefix)
    owed = [
        owes.one(f"{prefix}:{note.id}", DEV_NOTE, note.to_user, now, payload={"note_id": note.id})
        for answer in _answers(session, cosession.id).values()
        if answer.status == SUBMITTED
        for note in answer.notes
    ]
    deliveries.schedule_many(session, owed, now=now)


def _feedback_of(session: Session, session_id: int, user_id: str) -> ParticipantFeedback | None:
    return session.scalar(
        select(ParticipantFeedback).where(
            ParticipantFeedback.session_id == session_id, ParticipantFeedback.user_id == user_id
        )
    )


def _digest(session: Session, cosession: CoSession, facts: SessionFacts) -> FeedbackDigestNote:
    rows = session.scalars(
        select(ParticipantFeedback)
        .where(ParticipantFeedback.session_id == cosession.id)
        .order_by(ParticipantFeedback.id)
    ).all()
    scores = [int(r.heard) for r in rows if r.heard and r.heard.isascii() and r.heard.isdigit()]
    return FeedbackDigestNote(
        session=facts,
        answered=len(rows),
        invited=len(_participants(session, cosession)),
        heard=spread(scores),
        keep=tuple((r.keep, r.user_id if r.named else None) for r in rows if r.keep),
        change=tuple((r.change, r.user_id if r.named else None) for r in rows if r.change),
    )


def _debriefs_so_far(
    session: Session, project: Project, reflective: CoSession
) -> tuple[Collated, ...]:
    """Closed debriefs since the previous reflective session (the last few at most)."""
    sessions = [s for s in _scheduled(session, project.id) if s.starts_at < reflective.starts_at]
    earlier_reflective = [s for s in sessions if s.kind == SessionKind.REFLECTIVE]
    since = earlier_reflective[-1].starts_at if earlier_reflective else None
    workshops = [
        s
        for s in sessions
        if s.kind != SessionKind.REFLECTIVE and (since is None or s.starts_at > since)
    ]
    collated = []
    for workshop in workshops[-REFLECTIVE_DIGEST_SESSIONS:]:
        round_ = session.get(DebriefRound, workshop.id)
        if round_ is not None and round_.closed_at is not None:
            collated.append(_collate(session, project, workshop))
    return tuple(collated)


# ---------------------------------------------------------------- what people do


class NotDebriefer(AccessError):
    """Someone who was not asked to debrief a session tried to."""


class DebriefClosed(AccessError):
    """The summary is out: debriefs of that session can no longer change."""


class FormRejected(AccessError):
    """A modal's answers need fixing; `errors` are keyed by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values()), "Please check the form."))
        self.errors = errors


@dataclass(frozen=True)
class DebriefForm:
    """What the debrief modal shows: the project's questions and any earlier answers."""

    session: SessionFacts
    questions: dict[str, str]
    went_well: str = ""
    change: str = ""
    voices: str = ""
    dev: tuple[tuple[str, str], ...] = ()
    feeling: int | None = None
    feeling_words: str = ""
    actions: tuple[tuple[str, str], ...] = ()
    editing: bool = False
    shares_to_channel: bool = False


@dataclass(frozen=True)
class DebriefSaved:
    """A debrief was saved (or a skip recorded)."""

    session: SessionFacts
    status: str
    edited: bool
    dev_notes: int
    actions: int
    summary_now: bool


@dataclass(frozen=True)
class Completion(Debriefers):
    """Who has debriefed one session, and when its debriefs closed (or close)."""

    closed_at: datetime | None
    deadline: datetime


@dataclass(frozen=True)
class CompletionView:
    """The coordinator's view of recent sessions' debriefs."""

    project_name: str
    sessions: tuple[Completion, ...]


@dataclass(frozen=True)
class ChannelSet:
    """Where summaries go now (None: DMs to the facilitators and coordinators)."""

    project_name: str
    channel_id: str | None
    replanned: int


@dataclass(frozen=True)
class ActionList:
    """The project's open actions, and which the reader may tick."""

    project_name: str
    actions: tuple[ActionView, ...]
    can_tick: tuple[int, ...]


@dataclass(frozen=True)
class ActionDone:
    """An action ticked (`already` when someone had before)."""

    action: ActionView
    by: str
    already: bool


@dataclass(frozen=True)
class FeedbackForm:
    """The participant feedback modal."""

    session: SessionFacts
    heard: int | None
    keep: str = ""
    change: str = ""
    named: bool = False


@dataclass(frozen=True)
class FeedbackSaved:
    """A participant's feedback was saved."""

    session: SessionFacts
    edited: bool
    named: bool


class Debriefs(Service):
    """Debriefs, actions and participant feedback; each public call is one transaction."""

    # -- debriefs --------------------------------------------------------------------------

    def form(self, *, team_id: str, user_id: str, session_id: int) -> DebriefForm:
        """The debrief modal for one of the session's debriefers, prefilled when editing."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            cosession, project = _debriefed(db, team_id, user_id, session_id, now)
            settings = db.get(DebriefSettings, project.id)
            base = DebriefForm(
                session=access.session_facts(cosession, project),
                questions=_questions(db, project.id),
                shares_to_channel=settings is not None and bool(settings.channel_id),
            )
            mine = _answers(db, cosession.id).get(user_id)
            if mine is None or mine.status != SUBMITTED:
                return base
            actions = db.scalars(
                select(DebriefAction)
                .where(DebriefAction.debrief_id == mine.id)
                .order_by(DebriefAction.id)
            ).all()
            return DebriefForm(
                session=base.session,
                questions=base.questions,
                went_well=mine.went_well,
                change=mine.change,
                voices=mine.voices,
                dev=tuple((n.to_user, n.text) for n in mine.notes),
                feeling=int(mine.feeling)
                if mine.feeling and mine.feeling.isascii() and mine.feeling.isdigit()
                else None,
                feeling_words=mine.feeling_words or "",
                actions=tuple((a.owner, a.text) for a in actions),
                editing=True,
                shares_to_channel=base.shares_to_channel,
            )

    def submit(
        self, *, team_id: str, user_id: str, session_id: int, data: DebriefInput
    ) -> DebriefSaved:
        """Save (or replace) someone's debrief; raises FormRejected with inline errors."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            cosession, project = _debriefed(db, team_id, user_id, session_id, now)
            clean, errors = check_debrief(
                data,
                author=user_id,
                addressees=who_debriefs(project, cosession),
                members=[m.user_id for m in project.members],
            )
            if clean is None:
                raise FormRejected(errors)
            mine = _answers(db, cosession.id).get(user_id)
            edited = mine is not None and mine.status == SUBMITTED
            if mine is None:
                mine = Debrief(session_id=cosession.id, user_id=user_id, created_at=now)
                db.add(mine)
            _fill(mine, clean, now=now)
            db.flush()
            _replace_actions(db, project, cosession, mine, clean, now=now)
            return self._after_answer(db, project, cosession, mine, edited=edited, now=now)

    def skip(self, *, team_id: str, user_id: str, session_id: int) -> DebriefSaved:
        """Skip this one: the nudges stop; writing a debrief later is still possible."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            cosession, project = _debriefed(db, team_id, user_id, session_id, now)
            mine = _answers(db, cosession.id).get(user_id)
            if mine is not None and mine.status == SUBMITTED:
                raise AccessError(
                    f"You have already debriefed “{cosession.title}”, so there is nothing to "
                    "skip. Your debrief stands."
                )
            if mine is None:
                mine = Debrief(
                    session_id=cosession.id,
                    user_id=user_id,
                    status=SKIPPED,
                    created_at=now,
                    updated_at=now,
                )
                db.add(mine)
                db.flush()
            return self._after_answer(db, project, cosession, mine, edited=False, now=now)

    def _after_answer(
        self,
        db: Session,
        project: Project,
        cosession: CoSession,
        mine: Debrief,
        *,
        edited: bool,
        now: datetime,
    ) -> DebriefSaved:
        # replanning cancels this person's prompts and nudges, and moves the summary to now
        # once every facilitator has answered
        plan_session(db, project=project, cosession=cosession, now=now)
        actions = db.scalars(select(DebriefAction).where(DebriefAction.debrief_id == mine.id)).all()
        return DebriefSaved(
            session=access.session_facts(cosession, project),
            status=mine.status,
            edited=edited,
            dev_notes=len(mine.notes),
            actions=len(actions),
            summary_now=_all_answered(db, cosession),
        )

    def completion(self, *, team_id: str, channel_id: str, user_id: str) -> CompletionView:
        """Recent sessions: who has and has not debriefed (coordinators only, no content)."""
        now = self._clock.now()
        with read_only(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            deadlines = Deadlines.of(project)
            ended = [
                s
                for s in _scheduled(db, project.id)
                if s.ends_at <= now and s.kind != SessionKind.REFLECTIVE
            ][-RECENT_SESSIONS:]
            items = tuple(_completion(db, project, s, deadlines) for s in reversed(ended))
            return CompletionView(project_name=project.name, sessions=items)

    # -- settings --------------------------------------------------------------------------

    def questions_form(self, *, team_id: str, channel_id: str, user_id: str) -> QuestionsForm:
        """The project's debrief questions, for a coordinator to reword."""
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            return QuestionsForm(
                **of_project(project),
                questions=_questions(db, project.id),
            )

    def save_questions(
        self, *, team_id: str, user_id: str, project_id: int, questions: dict[str, str]
    ) -> QuestionsForm:
        """Reword the project's debrief questions (coordinators only)."""
        now = self._clock.now()
        errors = check_questions(questions)
        if errors:
            raise FormRejected(errors)
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            settings = _settings(db, project.id, user_id, now)
            settings.questions = {k: questions[k].strip() for k in QUESTION_KEYS}
            settings.updated_by = user_id
            settings.updated_at = now
            return QuestionsForm(
                **of_project(project),
                questions=questions_from_json(settings.questions),
            )

    def set_channel(
        self, *, team_id: str, channel_id: str, user_id: str, target: str | None
    ) -> ChannelSet:
        """Send collated summaries to `target` (None: DM facilitators and coordinators);
        summaries not yet posted follow."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            settings = _settings(db, project.id, user_id, now)
            settings.channel_id = target
            settings.updated_by = user_id
            settings.updated_at = now
            db.flush()
            replanned = 0
            for cosession in _scheduled(db, project.id):
                round_ = db.get(DebriefRound, cosession.id)
                if cosession.kind != SessionKind.REFLECTIVE and (
                    round_ is None or round_.closed_at is None
                ):
                    plan_session(db, project=project, cosession=cosession, now=now)
                    replanned += 1
            return ChannelSet(project_name=project.name, channel_id=target, replanned=replanned)

    def channel(self, *, team_id: str, channel_id: str) -> ChannelSet:
        """Where summaries go now."""
        with read_only(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            settings = db.get(DebriefSettings, project.id)
            return ChannelSet(
                project_name=project.name,
                channel_id=settings.channel_id if settings else None,
                replanned=0,
            )

    # -- actions ---------------------------------------------------------------------------

    def actions(self, *, team_id: str, channel_id: str, user_id: str) -> ActionList:
        """The project's open actions; owners and coordinators may tick them."""
        with read_only(self._factory) as db:
            project = access.members_project(
                db, seeing="its actions", team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            rows = db.scalars(
                select(DebriefAction)
                .where(DebriefAction.project_id == project.id, DebriefAction.status == OPEN)
                .order_by(DebriefAction.id)
            ).all()
            coordinator = access.role_of(project, user_id) is Role.COORDINATOR
            views = []
            for row in rows:
                origin = db.get(CoSession, row.session_id)
                views.append(_action_view(row, origin.title if origin else ""))
            return ActionList(
                project_name=project.name,
                actions=tuple(views),
                can_tick=tuple(v.id for v in views if coordinator or v.owner == user_id),
            )

    def action_done(self, *, team_id: str, user_id: str, action_id: int) -> ActionDone:
        """Tick an action: its owner or a coordinator; its reminders stop."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            action = db.get(DebriefAction, action_id)
            if action is None:
                raise AccessError("That action no longer exists.")
            project = access.project_by_id(db, team_id=team_id, project_id=action.project_id)
            if action.owner != user_id and access.role_of(project, user_id) is not Role.COORDINATOR:
                raise AccessError(
                    f"Only <@{action.owner}> (who owns it) or a coordinator can tick this "
                    "action. Nothing was changed."
                )
            origin = db.get(CoSession, action.session_id)
            already = action.status == DONE
            if not already:
                action.status = DONE
                action.done_at = now
                action.done_by = user_id
                db.flush()
                plan_actions(db, project, now=now)
            return ActionDone(
                action=_action_view(action, origin.title if origin else ""),
                by=action.done_by or user_id,
                already=already,
            )

    # -- participant feedback --------------------------------------------------------------

    def feedback_form(
        self, *, team_id: str, user_id: str, session_id: int, heard: int | None
    ) -> FeedbackForm:
        """The feedback modal for one of the session's participants."""
        with transaction(self._factory) as db:
            cosession, project = _given_feedback(db, team_id, user_id, session_id)
            mine = _feedback_of(db, cosession.id, user_id)
            facts = access.session_facts(cosession, project)
            if mine is None:
                return FeedbackForm(session=facts, heard=heard)
            earlier = (
                int(mine.heard)
                if mine.heard and mine.heard.isascii() and mine.heard.isdigit()
                else None
            )
            return FeedbackForm(
                session=facts,
                heard=heard if heard is not None else earlier,
                keep=mine.keep,
                change=mine.change,
                named=mine.named,
            )

    def give_feedback(
        self, *, team_id: str, user_id: str, session_id: int, data: FeedbackInput
    ) -> FeedbackSaved:
        """Save a participant's feedback (again replaces it, until it goes to facilitators)."""
        now = self._clock.now()
        errors = check_feedback(data)
        if errors:
            raise FormRejected(errors)
        with transaction(self._factory) as db:
            cosession, project = _given_feedback(db, team_id, user_id, session_id)
            mine = _feedback_of(db, cosession.id, user_id)
            edited = mine is not None
            if mine is None:
                mine = ParticipantFeedback(session_id=cosession.id, user_id=user_id, created_at=now)
                db.add(mine)
            mine.heard = str(data.heard) if data.heard is not None else None
            mine.keep = data.keep.strip()
            mine.change = data.change.strip()
            mine.named = data.named
            mine.updated_at = now
            return FeedbackSaved(
                session=access.session_facts(cosession, project), edited=edited, named=data.named
            )


def _settings(db: Session, project_id: int, user_id: str, now: datetime) -> DebriefSettings:
    settings = db.get(DebriefSettings, project_id)
    if settings is None:
        settings = DebriefSettings(
            project_id=project_id, questions={}, updated_by=user_id, updated_at=now
        )
        db.add(settings)
    return settings


def _fill(row: Debrief, clean: CleanDebrief, *, now: datetime) -> None:
    row.status = SUBMITTED
    row.went_well = clean.went_well
    row.change = clean.change
    row.voices = clean.voices
    row.feeling = str(clean.feeling) if clean.feeling is not None else None
    row.feeling_words = clean.feeling_words or None
    row.updated_at = now
    row.notes.clear()
    for note in clean.dev:
        row.notes.append(DebriefDevNote(to_user=note.to, text=note.text))


def _replace_actions(
    db: Session,
    project: Project,
    cosession: CoSession,
    mine: Debrief,
    clean: CleanDebrief,
    *,
    now: datetime,
) -> None:
    """The debrief's actions become exactly these (the summary is not out, so none is
    tracked beyond this debrief yet); kept ones keep their ids and reminders."""
    existing = list(
        db.scalars(
            select(DebriefAction)
            .where(DebriefAction.debrief_id == mine.id)
            .order_by(DebriefAction.id)
        ).all()
    )
    wanted = [(a.owner, a.text) for a in clean.actions]
    for row in existing:
        if (row.owner, row.text) in wanted:
            wanted.remove((row.owner, row.text))
        else:
            db.delete(row)
    for owner, text in wanted:
        db.add(
            DebriefAction(
                project_id=project.id,
                session_id=cosession.id,
                debrief_id=mine.id,
                owner=owner,
                text=text,
                status=OPEN,
                created_by=mine.user_id,
                created_at=now,
            )
        )
    db.flush()


# a scheduled session of the asking workspace and its project; a cancelled one is refused
_live = partial(
    scheduled_session, cancelled="“{title}” was cancelled, so there is nothing to debrief."
)


def _debriefed(
    db: Session, team_id: str, user_id: str, session_id: int, now: datetime
) -> tuple[CoSession, Project]:
    """The ended session `user_id` debriefs, and its project, while its summary is not out."""
    cosession, project = _live(db, team_id, session_id)
    title = cosession.title
    if user_id not in who_debriefs(project, cosession):
        raise NotDebriefer(
            f"Only the facilitators of “{title}” and the project team debrief it. "
            "Nothing was changed."
        )
    if cosession.ends_at > now:
        raise AccessError(f"“{title}” has not finished yet: debrief it afterwards.")
    round_ = db.get(DebriefRound, cosession.id)
    if round_ is not None and round_.closed_at is not None:
        raise DebriefClosed(
            f"The summary of “{title}” has already been posted, so its debriefs "
            "can no longer change. The team has read it: a silent edit would leave them with "
            "a different story from yours. Add anything new to the next session's debrief, "
            "or tell the team directly."
        )
    return cosession, project


def _given_feedback(
    db: Session, team_id: str, user_id: str, session_id: int
) -> tuple[CoSession, Project]:
    """The session `user_id` took part in, and its project, while its feedback is open."""
    cosession, project = _live(db, team_id, session_id)
    title = cosession.title
    if user_id not in _participants(db, cosession):
        raise AccessError(
            f"Only the participants of “{title}” can give feedback on it. Nothing was changed."
        )
    round_ = db.get(DebriefRound, cosession.id)
    if round_ is not None and round_.feedback_closed_at is not None:
        raise AccessError(
            f"Feedback on “{title}” has already gone to the facilitators, so it is "
            "closed. Thank you all the same: you can tell them directly, or answer after the "
            "next session."
        )
    return cosession, project


__all__ = [
    "MIN_GROUP",
    "ActionDone",
    "ActionList",
    "Collated",
    "Completion",
    "CompletionView",
    "DebriefForm",
    "DebriefNote",
    "DebriefSaved",
    "Debriefs",
    "FeedbackForm",
    "FeedbackSaved",
    "FormRejected",
    "QuestionsForm",
    "SessionFacts",
    "build_note",
    "cancel_session",
    "debrief_kinds",
    "on_session_changed",
    "plan_session",
]
