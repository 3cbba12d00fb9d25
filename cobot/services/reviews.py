"""The participants' review of the output: rounds, answers, the reminder and the close.

`start` (coordinators) opens a numbered round: every participant (only) is owed a DM with
the draft's link and three answers; one reminder goes before the deadline to those who have
not answered; at the deadline the round closes once (a ledger row per coordinator for the
results, and per oversight, steering member and participant for the outcome, rendered at
send time; the first to render closes it, and a restart changes nothing: the rows are in
the ledger). Answers may change until the close.

What the coordinator may learn, and why (the project's rule: nothing that can be differenced
down to fewer than 3 people, cobot/domain/disclosure.py):
- while the round is open, only how many have answered: never the split nor any words, since
  two looks around one person's answer would tie that answer to them;
- after the close, the counts of each answer and the words asked for, once and for ever
  (the counts are frozen on the round at the close), the words without names (sorted by
  text, never in the order they came, never with times), except for people who chose to show
  their name. Which participants answered is never shown to anyone (the reminder goes
  without a coordinator knowing to whom). The counts cannot be held back for small groups:
  the words themselves say how many asked for changes, so a tally hidden below a threshold
  would hide nothing; instead, when fewer than MIN_PEOPLE answered without their name, the
  results and the participants' DM say plainly that a small group may be able to tell whose
  words are whose;
- oversight and steering members see only that a round happened and its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain import reviews as rules
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.disclosure import MIN_PEOPLE
from cobot.domain.projects import ProjectStatus
from cobot.domain.reviews import Choice
from cobot.domain.reviews import Outcome
from cobot.domain.reviews import Tally
from cobot.domain.roles import Role
from cobot.domain.sessions import to_utc
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import deliveries
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.base import ForProject
from cobot.services.base import Service
from cobot.services.deliveries import DeliveryKind
from cobot.services.deliveries import Owed
from cobot.services.deliveries import Scope
from cobot.services.ports import OutgoingMessage
from cobot.services.project_views import of_project
from cobot.services.projects import lock_project
from cobot.storage.db import transaction
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from cobot.storage.models import ReviewAnswer
from cobot.storage.models import ReviewRound

SUBJECT = "review_round"
# the first part of a round's delivery keys (older than SUBJECT: recorded rows keep it)
KEYED = "review"
INVITE = "review_invite"
REMINDER = "review_reminder"
RESULTS = "review_results"
OUTCOME = "review_outcome"
KINDS = (INVITE, REMINDER, RESULTS, OUTCOME)
# the round closes at this local time on its deadline day
CLOSES_AT = time(17, 0)
# who hears the outcome only: oversight and steering (the case study: they have no say over
# the content), and the participants themselves, whose review it was
OUTCOME_ROLES = (Role.OVERSIGHT, Role.STEERING, Role.PARTICIPANT)


@dataclass(frozen=True)
class StartForm(ForProject):
    """The coordinator's form: the round it would be and the last outcome."""

    number: int
    default_deadline: date


@dataclass(frozen=True)
class Started:
    """A round opened."""

    project_name: str
    number: int
    timezone: str
    deadline: datetime
    asked: int


@dataclass(frozen=True)
class ForRound:
    """What a view of one review round starts with: the round, its number and its project."""

    round_id: int
    number: int
    project_name: str


@dataclass(frozen=True)
class InviteNote(ForRound):
    """The participant's DM (also the reminder)."""

    draft_url: str
    note: str
    timezone: str
    deadline: datetime
    reminder: bool
    small_group: bool
    answered: Choice | None


@dataclass(frozen=True)
class NamedAnswer:
    """An answer whose author chose to show their name."""

    user_id: str
    choice: Choice
    text: str


@dataclass(frozen=True)
class Results(ForRound):
    """A closed round as coordinators see it."""

    draft_url: str
    asked: int
    tally: Tally
    outcome: Outcome
    # the words without names, sorted by text, by answer
    changes: tuple[str, ...]
    not_yet: tuple[str, ...]
    named: tuple[NamedAnswer, ...]
    # fewer than MIN_PEOPLE answered without their name
    small_group: bool


@dataclass(frozen=True)
class OutcomeNote:
    """What oversight and steering members (and the report's readers) are told."""

    number: int
    project_name: str
    outcome: Outcome
    closed_at: datetime
    timezone: str


@dataclass(frozen=True)
class OpenRound:
    """A round still open, as coordinators may see it: how many answered, nothing else."""

    number: int
    draft_url: str
    timezone: str
    deadline: datetime
    asked: int
    answered: int


@dataclass(frozen=True)
class Status:
    """`/cobot review`: what the asker may see of the project's rounds."""

    project_name: str
    role: Role | None
    open: OpenRound | None
    # coordinators: the closed rounds in full; oversight, steering and others: outcomes only
    results: tuple[Results, ...]
    outcomes: tuple[OutcomeNote, ...]
    # a participant's own answer in the open round
    mine: Choice | None
    open_round_id: int | None


@dataclass(frozen=True)
class AnswerForm(ForRound):
    """The modal for the changes or the reason: what the person had said before."""

    choice: Choice
    text: str
    named: bool


@dataclass(frozen=True)
class Answered:
    """An answer saved."""

    project_name: str
    number: int
    choice: Choice
    named: bool
    changed: bool
    timezone: str
    deadline: datetime


ReviewNote = InviteNote | Results | OutcomeNote
Presenter = Callable[[ReviewNote], OutgoingMessage]


class Reviews(Service):
    """Use cases for the participants' review; each public call is one transaction."""

    def start_form(self, *, team_id: str, user_id: str, channel_id: str) -> StartForm:
        """The start modal, for a coordinator, when no round is open."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            _refuse_open(db, project, now)
            today = local_day(now, project.timezone)
            return StartForm(
                **of_project(project),
                number=_next_number(db, project.id),
                default_deadline=today + timedelta(days=14),
            )

    def start(
        self,
        *,
        team_id: str,
        user_id: str,
        project_id: int,
        draft_url: str,
        deadline: date | None,
        note: str,
    ) -> Started:
        """Open the next round; InvalidFields (draft_url, deadline, note) refuses it."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            lock_project(db, project_id)
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            _refuse_open(db, project, now)
            tz = ZoneInfo(project.timezone)
            errors: dict[str, str] = {}
            problem = rules.check_url(draft_url)
            if problem:
                errors["draft_url"] = problem
            problem = rules.check_deadline(deadline, local_day(now, tz))
            if problem:
                errors["deadline"] = problem
            if len(note) > rules.MAX_NOTE:
                errors["note"] = f"Keep the note under {rules.MAX_NOTE} characters."
            participants = access.people_with(project, Role.PARTICIPANT)
            if not participants:
                errors["draft_url"] = (
                    "The project has no participants to review the draft yet: add them with "
                    "`/cobot add @someone as participant`."
                )
            if errors or deadline is None:
                raise InvalidFields(errors)
            closes, _ = to_utc(deadline, CLOSES_AT, tz)
            row = ReviewRound(
                project_id=project.id,
                number=_next_number(db, project.id),
                draft_url=draft_url.strip(),
                note=note.strip(),
                deadline=closes,
                started_by=user_id,
                started_at=now,
                asked=len(participants),
            )
            db.add(row)
            db.flush()
            _plan(db, project, row, now=now)
            return Started(
                project_name=project.name,
                number=row.number,
                timezone=project.timezone,
                deadline=closes,
                asked=len(participants),
            )

    def status(self, *, team_id: str, user_id: str, channel_id: str) -> Status:
        """What the asker may see: coordinators the counts and words of closed rounds and how
        many answered the open one; participants their own answer; others outcomes only."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            role = access.role_of(project, user_id)
            rounds = _rounds(db, project.id)
            for r in rounds:
                _close_if_due(db, r, now)
            current = next((r for r in rounds if r.closed_at is None), None)
            closed = [r for r in rounds if r.closed_at is not None]
            coordinator = role is Role.COORDINATOR
            open_view = None
            if current is not None and role is not None:
                open_view = _open_view(db, project, current, counted=coordinator)
            mine = None
            if current is not None and role is Role.PARTICIPANT:
                answer = _answer(db, current.id, user_id)
                mine = Choice(answer.choice) if answer is not None else None
            return Status(
                project_name=project.name,
                role=role,
                open=open_view,
                results=tuple(_results(db, project, r) for r in closed) if coordinator else (),
                outcomes=tuple(_outcome_note(project, r) for r in closed),
                mine=mine,
                open_round_id=current.id if current is not None else None,
            )

    def approve(self, *, team_id: str, user_id: str, round_id: int) -> Answered:
        """Record "I approve" (no words needed)."""
        return self._save(team_id, user_id, round_id, Choice.APPROVE, "", named=None)

    def answer_form(
        self, *, team_id: str, user_id: str, round_id: int, choice: Choice
    ) -> AnswerForm:
        """The modal for the changes asked for, or why not yet."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project, row = _answerable(db, team_id, user_id, round_id, now)
            mine = _answer(db, row.id, user_id)
            return AnswerForm(
                round_id=row.id,
                number=row.number,
                project_name=project.name,
                choice=choice,
                text=mine.text if mine is not None and Choice(mine.choice).needs_text else "",
                named=mine.named if mine is not None else False,
            )

    def answer(
        self, *, team_id: str, user_id: str, round_id: int, choice: Choice, text: str, named: bool
    ) -> Answered:
        """Record an answer with words; InvalidFields (text) refuses it."""
        problem = rules.check_text(choice, text)
        if problem:
            raise InvalidFields({"text": problem})
        return self._save(team_id, user_id, round_id, choice, text.strip(), named=named)

    def _save(
        self,
        team_id: str,
        user_id: str,
        round_id: int,
        choice: Choice,
        text: str,
        *,
        named: bool | None,
    ) -> Answered:
        now = self._clock.now()
        with transaction(self._factory) as db:
            project, row = _answerable(db, team_id, user_id, round_id, now)
            mine = _answer(db, row.id, user_id)
            changed = mine is not None
            if mine is None:
                mine = ReviewAnswer(
                    round_id=row.id,
                    project_id=project.id,
                    user_id=user_id,
                    named=False,
                    created_at=now,
                    text="",
                )
                db.add(mine)
            mine.choice = choice.value
            mine.text = text
            if named is not None:
                mine.named = named
            mine.updated_at = now
            return Answered(
                project_name=project.name,
                number=row.number,
                choice=choice,
                named=mine.named,
                changed=changed,
                timezone=project.timezone,
                deadline=row.deadline,
            )

    # -- rendering at send time ----------------------------------------------------------

    def render(self, db: Session, delivery: Delivery) -> ReviewNote | None:
        """What a review delivery says now, or None when it no longer applies."""
        row = db.get(ReviewRound, int(delivery.payload.get("round_id", 0)))
        project = db.get(Project, row.project_id) if row is not None else None
        if row is None or project is None or project.status != ProjectStatus.ACTIVE:
            return None
        now = self._clock.now()
        if delivery.kind in (INVITE, REMINDER):
            if _close_if_due(db, row, now) or row.closed_at is not None:
                return None
            if access.role_of(project, delivery.target) is not Role.PARTICIPANT:
                return None
            mine = _answer(db, row.id, delivery.target)
            if delivery.kind == REMINDER and mine is not None:
                return None
            return InviteNote(
                round_id=row.id,
                number=row.number,
                project_name=project.name,
                draft_url=row.draft_url,
                note=row.note,
                timezone=project.timezone,
                deadline=row.deadline,
                reminder=delivery.kind == REMINDER,
                small_group=row.asked < MIN_PEOPLE,
                answered=Choice(mine.choice) if mine is not None else None,
            )
        # the deadline: whichever of these renders first closes the round, once
        if row.closed_at is None:
            _close(db, row, row.deadline)
        if delivery.kind == RESULTS:
            if access.role_of(project, delivery.target) is not Role.COORDINATOR:
                return None
            return _results(db, project, row)
        if delivery.kind == OUTCOME:
            return _outcome_note(project, row)
        return None


# ---------------------------------------------------------------- steps


def _rounds(db: Session, project_id: int) -> list[ReviewRound]:
    return list(
        db.scalars(
            select(ReviewRound)
            .where(ReviewRound.project_id == project_id)
            .order_by(ReviewRound.number)
        )
    )


def _next_number(db: Session, project_id: int) -> int:
    last = db.scalar(
        select(func.max(ReviewRound.number)).where(ReviewRound.project_id == project_id)
    )
    return int(last or 0) + 1


def _refuse_open(db: Session, project: Project, now: datetime) -> None:
    """Refuse a new round while one is open; one whose deadline passed closes now (its close
    deliveries may still be on their way), so the next round is the only open one."""
    for row in _rounds(db, project.id):
        _close_if_due(db, row, now)
        if row.closed_at is None:
            raise AccessError(
                f"Round {row.number} of the review is still open; a second round can start "
                "once it closes at its deadline. `/cobot review` shows how it is going."
            )


def _answer(db: Session, round_id: int, user_id: str) -> ReviewAnswer | None:
    return db.scalar(
        select(ReviewAnswer).where(
            ReviewAnswer.round_id == round_id, ReviewAnswer.user_id == user_id
        )
    )


def _answered(db: Session, round_id: int) -> int:
    found = db.scalar(
        select(func.count()).select_from(ReviewAnswer).where(ReviewAnswer.round_id == round_id)
    )
    return int(found or 0)


def _answerable(
    db: Session, team_id: str, user_id: str, round_id: int, now: datetime
) -> tuple[Project, ReviewRound]:
    row = db.get(ReviewRound, round_id)
    if row is None:
        raise access.NoProjectHere()
    project = access.project_by_id(db, team_id=team_id, project_id=row.project_id)
    if access.role_of(project, user_id) is not Role.PARTICIPANT:
        raise AccessError(
            "Only the project's participants review the draft: it is theirs to approve."
        )
    if row.closed_at is not None or row.deadline <= now:
        raise AccessError(
            f"Round {row.number} of the review has closed, so answers can no longer be "
            "given or changed. Thank you."
        )
    return project, row


def _close_if_due(db: Session, row: ReviewRound, now: datetime) -> bool:
    """Close a round whose deadline has passed (its close deliveries may still be on their
    way, e.g. while cobot was down); True when it closed now."""
    if row.closed_at is None and row.deadline <= now:
        _close(db, row, row.deadline)
        return True
    return False


def _asked(db: Session, project: Project, row: ReviewRound) -> int:
    """Who the round asks: the project's participants now (someone added during the round
    answers from their Home or `/cobot review`) and anyone who answered and has since left."""
    people = set(access.people_with(project, Role.PARTICIPANT))
    people |= set(db.scalars(select(ReviewAnswer.user_id).where(ReviewAnswer.round_id == row.id)))
    return len(people)


def _close(db: Session, row: ReviewRound, when: datetime) -> None:
    """Freeze the counts and the outcome: they never change afterwards."""
    choices = db.scalars(select(ReviewAnswer.choice).where(ReviewAnswer.round_id == row.id))
    counted = rules.tally(Choice(c) for c in choices)
    project = db.get(Project, row.project_id)
    if project is not None:
        row.asked = _asked(db, project, row)
    row.closed_at = when
    row.approved = counted.approve
    row.changes = counted.changes
    row.not_yet = counted.not_yet
    row.outcome = counted.outcome.value


def _results(db: Session, project: Project, row: ReviewRound) -> Results:
    counted = Tally(approve=row.approved, changes=row.changes, not_yet=row.not_yet)
    answers = list(db.scalars(select(ReviewAnswer).where(ReviewAnswer.round_id == row.id)))
    unnamed = [a for a in answers if not a.named]
    named = sorted((a for a in answers if a.named), key=lambda a: a.user_id)
    return Results(
        round_id=row.id,
        number=row.number,
        project_name=project.name,
        draft_url=row.draft_url,
        asked=row.asked,
        tally=counted,
        outcome=Outcome(row.outcome or counted.outcome),
        changes=tuple(sorted(a.text for a in unnamed if a.choice == Choice.CHANGES and a.text)),
        not_yet=tuple(sorted(a.text for a in unnamed if a.choice == Choice.NOT_YET and a.text)),
        named=tuple(NamedAnswer(a.user_id, Choice(a.choice), a.text) for a in named),
        small_group=0 < len(unnamed) < MIN_PEOPLE,
    )


def _outcome_note(project: Project, row: ReviewRound) -> OutcomeNote:
    assert row.closed_at is not None
    return OutcomeNote(
        number=row.number,
        project_name=project.name,
        outcome=Outcome(row.outcome or Outcome.NO_ANSWERS),
        closed_at=row.closed_at,
        timezone=project.timezone,
    )


def _plan(db: Session, project: Project, row: ReviewRound, *, now: datetime) -> None:
    """Everything the round owes: invites and the reminder to participants, the results to
    coordinators and the outcome to oversight and steering members (and the participants) at
    the deadline."""
    rid = row.id
    remind = rules.reminder_at(now=now, deadline=row.deadline)

    def owe(key: str, kind: str, target: str, due: datetime) -> Owed:
        return Owed(
            key=deliveries.owed_key(KEYED, rid, key, target),
            kind=kind,
            target=target,
            due_at=due,
            project_id=project.id,
            subject=(SUBJECT, rid),
            payload={"round_id": rid},
            escalate_to=row.started_by if kind in (INVITE, REMINDER) else None,
        )

    owed = []
    for person in access.people_with(project, Role.PARTICIPANT):
        owed.append(owe("invite", INVITE, person, now))
        owed.append(owe("reminder", REMINDER, person, remind))
    for person in access.people_with(project, Role.COORDINATOR):
        owed.append(owe("results", RESULTS, person, row.deadline))
    for role in OUTCOME_ROLES:
        for person in access.people_with(project, role):
            owed.append(owe("outcome", OUTCOME, person, row.deadline))
    deliveries.reconcile(db, subject=Scope.of(SUBJECT, [rid], KINDS), owed=owed, now=now)


def closed_rounds(db: Session, project_id: int) -> list[OutcomeNote]:
    """The project's closed rounds, outcome only (the report, Home)."""
    project = db.get(Project, project_id)
    if project is None:
        return []
    return [_outcome_note(project, r) for r in _rounds(db, project_id) if r.closed_at is not None]


def results_of(db: Session, project: Project) -> list[Results]:
    """The closed rounds in full, for the coordinators' report."""
    return [_results(db, project, r) for r in _rounds(db, project.id) if r.closed_at is not None]


def open_round(db: Session, project: Project) -> OpenRound | None:
    """The open round, counts only (the coordinator's Home)."""
    current = next((r for r in _rounds(db, project.id) if r.closed_at is None), None)
    return _open_view(db, project, current, counted=True) if current is not None else None


def _open_view(db: Session, project: Project, row: ReviewRound, *, counted: bool) -> OpenRound:
    """The open round: how many answered only when `counted` (coordinators), else 0."""
    return OpenRound(
        number=row.number,
        draft_url=row.draft_url,
        timezone=project.timezone,
        deadline=row.deadline,
        asked=_asked(db, project, row),
        answered=_answered(db, row.id) if counted else 0,
    )


@dataclass(frozen=True)
class Awaiting(ForRound):
    """An open round a participant has not answered yet (their Home)."""

    draft_url: str
    deadline: datetime
    timezone: str


def awaiting(
    db: Session, projects: Sequence[Project], user_id: str, now: datetime
) -> list[Awaiting]:
    """The open rounds of these projects (where they are a participant) they have not
    answered yet."""
    mine = [p for p in projects if access.role_of(p, user_id) is Role.PARTICIPANT]
    if not mine:
        return []
    by_id = {p.id: p for p in mine}
    rows = db.scalars(
        select(ReviewRound).where(
            ReviewRound.project_id.in_(list(by_id)),
            ReviewRound.closed_at.is_(None),
            ReviewRound.deadline > now,
        )
    ).all()
    done = set(
        db.scalars(
            select(ReviewAnswer.round_id).where(
                ReviewAnswer.round_id.in_([r.id for r in rows]), ReviewAnswer.user_id == user_id
            )
        )
    )
    return [
        Awaiting(
            round_id=r.id,
            number=r.number,
            project_name=by_id[r.project_id].name,
            draft_url=r.draft_url,
            deadline=r.deadline,
            timezone=by_id[r.project_id].timezone,
        )
        for r in rows
        if r.id not in done
    ]


def review_kinds(*, present: Presenter, service: Reviews) -> Sequence[DeliveryKind]:
    """The delivery kinds the review uses, rendered at send time by `present`."""
    return deliveries.kinds_rendered_by(
        deliveries.Presented[ReviewNote](service.render, present),
        {
            INVITE: None,
            # a reminder a day late is still before the deadline (it goes two days before)
            REMINDER: LatenessPolicy(timedelta(days=1), "the reminder would come too late"),
            RESULTS: None,
            OUTCOME: None,
        },
    )


__all__ = [
    "INVITE",
    "OUTCOME",
    "REMINDER",
    "RESULTS",
    "Answered",
    "Reviews",
    "closed_rounds",
    "open_round",
    "results_of",
    "review_kinds",
]


def report_lines(rounds: Sequence[Results], md: Callable[[str], str]) -> list[str]:
    """The report's section: each closed round's outcome, counts and the words asked for
    (the same as the coordinators saw at the close; names only where people chose)."""
    lines = ["## The participants' review", ""]
    if not rounds:
        return [*lines, "No review round has closed yet.", ""]
    for r in rounds:
        t = r.tally
        lines += [
            f"### Round {r.number}: {r.outcome.label}",
            "",
            f"{t.answered} of {r.asked} participants answered: {t.approve} approve, "
            f"{t.changes} approve with changes, {t.not_yet} not yet.",
            "",
        ]
        for title, texts in (("Changes asked for", r.changes), ("Not yet, because", r.not_yet)):
            if texts:
                lines += [f"**{title}**", "", *[f"- {md(x)}" for x in texts], ""]
        if r.named:
            lines += ["**From people who chose to show their name**", ""]
            lines += [
                f"- {a.user_id}: {a.choice.label}" + (f": {md(a.text)}" if a.text else "")
                for a in r.named
            ]
            lines.append("")
    return lines
