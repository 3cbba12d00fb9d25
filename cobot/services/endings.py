"""Endings: feelings and boats, the word cloud, the evaluation, celebration and after.

`start` opens the collection: every member is asked by DM (a ledger row each) for up to
three words and a boat; a final reflective debrief for the practitioners and a celebration
(sessions with their usual reminders) are scheduled when the coordinator picks their times,
and a follow-up check-in with everyone a few weeks after the end. When the collection
closes (its deadline, or a coordinator) one ledger row uploads the word cloud to the
project channel and another posts the counts and the boats: each exactly once, by key.
Answers are encrypted and only ever shared as aggregates of at least MIN_GROUP people.
Closing the project stops every recurring prompt and starts the retention clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import TypeVar
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain import endings as rules
from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.deliveries import LatenessPolicy
from cobot.domain.endings import EvaluationAnswer
from cobot.domain.endings import EvaluationThemes
from cobot.domain.endings import FeelingAnswer
from cobot.domain.endings import FeelingsTally
from cobot.domain.endings import WordsError
from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import LocalTimeError
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.domain.sessions import to_utc
from cobot.domain.text import TypedText
from cobot.domain.zones import local_day
from cobot.services import access
from cobot.services import deliveries
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.access import raise_if_invalid
from cobot.services.base import ForProject
from cobot.services.base import SessionChangingService
from cobot.services.deliveries import DeliveryKind
from cobot.services.ports import OutgoingMessage
from cobot.services.privacy import retention_days
from cobot.services.project_views import ForProjectInZone

# re-exported: what slack/blocks/endings renders the evaluation questions modal from
from cobot.services.project_views import QuestionsForm as QuestionsForm
from cobot.services.project_views import of_project
from cobot.services.project_views import of_project_in_zone
from cobot.services.session_changes import SessionChanges
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Ending
from cobot.storage.models import EndingEvaluation
from cobot.storage.models import EndingFeeling
from cobot.storage.models import EndingFollowUp
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson

SUBJECT = "ending"
STARTED = "ending_started"
INVITE = "ending_invite"
CLOUD = "ending_cloud"
RESULTS = "ending_results"
FOLLOW_UP = "ending_follow_up"
KINDS = (STARTED, INVITE, CLOUD, RESULTS, FOLLOW_UP)
# what closing a project leaves scheduled: the results of the ending and the follow-up
KEEP_ON_CLOSE = frozenset({CLOUD, RESULTS, FOLLOW_UP})
EVENT_LENGTH = timedelta(hours=2)
DEADLINE_TIME = time(17, 0)
CLOUD_FILENAME = "feelings-word-cloud.png"


# ---------------------------------------------------------------- typed requests and views


@dataclass(frozen=True)
class EndingPlan:
    """What a coordinator chose in the ending modal."""

    deadline: date
    follow_up_weeks: int = rules.DEFAULT_FOLLOW_UP_WEEKS
    celebration_day: date | None = None
    celebration_time: time | None = None
    celebration_venue: str = ""
    reflective_day: date | None = None
    reflective_time: time | None = None


@dataclass(frozen=True)
class EndingDraft(ForProjectInZone):
    """What the ending modal starts from."""

    default_deadline: date
    already: datetime | None


@dataclass(frozen=True)
class EndingStarted:
    """The ending as it was opened."""

    project_name: str
    timezone: str
    deadline: datetime
    invited: int
    celebration_at: datetime | None
    reflective_at: datetime | None
    follow_up_at: datetime


@dataclass(frozen=True)
class CollectionClosed:
    """The collection closed now; the results follow in the channel."""

    project_name: str
    answers: int


@dataclass(frozen=True)
class FeelingsForm(ForProject):
    """The feelings modal, prefilled with the person's own earlier answer."""

    words: str = ""
    boat: str = ""


@dataclass(frozen=True)
class Saved:
    """An answer was saved (or replaced)."""

    project_name: str
    edited: bool
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvaluationForm(ForProject):
    """The evaluation modal: the project's questions and the person's earlier answers."""

    questions: dict[str, str]
    answers: dict[str, str]


@dataclass(frozen=True)
class ThemesView:
    """The evaluation collated for a coordinator."""

    project_name: str
    themes: EvaluationThemes


@dataclass(frozen=True)
class FeelingsView:
    """What `/cobot feelings` shows: the tally once the collection has closed."""

    project_name: str
    started: bool
    closed_at: datetime | None
    deadline: datetime | None
    timezone: str
    tally: FeelingsTally
    cloud_file_id: str | None


@dataclass(frozen=True)
class FollowUpForm(ForProject):
    """The follow-up reply modal."""

    how: str = ""
    what_next: str = ""


@dataclass(frozen=True)
class CloseDraft(ForProject):
    """What closing a project will do, for the confirmation."""

    pending: int
    collection_open: bool
    # the project's retention setting: personal answers go this many days after closing
    retention_days: int = 90


@dataclass(frozen=True)
class ProjectClosed:
    """The project closed: prompts cancelled, the retention clock started."""

    project_name: str
    timezone: str
    cancelled: int
    closed_at: datetime
    retention_until: datetime


# ---------------------------------------------------------------- what messages say


@dataclass(frozen=True)
class EventBrief:
    """A session the ending scheduled."""

    title: str
    starts_at: datetime


@dataclass(frozen=True)
class StartedNote:
    """The channel hears that the ending has started."""

    project_name: str
    timezone: str
    deadline: datetime
    celebration: EventBrief | None
    reflective: EventBrief | None
    follow_up_at: datetime | None


@dataclass(frozen=True)
class InviteNote(ForProjectInZone):
    """Ask one person for their words, their boat and their evaluation."""

    deadline: datetime


@dataclass(frozen=True)
class CloudNote:
    """The word cloud, to upload to the channel."""

    project_name: str
    answers: int
    png: bytes


@dataclass(frozen=True)
class ResultsNote:
    """The counts and boats, to post to the channel."""

    project_name: str
    tally: FeelingsTally


@dataclass(frozen=True)
class FollowUpNote(ForProject):
    """Weeks after the end: how are you, what happened next?"""


EndingNote = StartedNote | InviteNote | CloudNote | ResultsNote | FollowUpNote
Presenter = Callable[[EndingNote], OutgoingMessage]


# ---------------------------------------------------------------- reading answers


def _collection_closed(db: Session, project_id: int) -> bool:
    ending = db.get(Ending, project_id)
    return ending is not None and ending.closed_at is not None


def feelings_tally(db: Session, project_id: int) -> FeelingsTally:
    """The shareable tally of a project's feelings (for the channel, the report, the CLI):
    words and boats only once the collection has closed, before that only how many
    answered."""
    rows = db.scalars(
        select(EndingFeeling)
        .where(EndingFeeling.project_id == project_id)
        .order_by(EndingFeeling.id)
    ).all()
    if not _collection_closed(db, project_id):
        return rules.open_tally(len(rows))
    return rules.tally(
        [FeelingAnswer(group=r.role_group, words=tuple(r.words.split()), boat=r.boat) for r in rows]
    )


def evaluation_themes(db: Session, project_id: int) -> EvaluationThemes:
    """The evaluation collated by safe group, texts sorted (never in the order written);
    once the collection has closed, before that only how many answered."""
    ending = db.get(Ending, project_id)
    questions = rules.questions_from_json(ending.questions if ending else None)
    rows = db.scalars(
        select(EndingEvaluation)
        .where(EndingEvaluation.project_id == project_id)
        .order_by(EndingEvaluation.id)
    ).all()
    if ending is None or ending.closed_at is None:
        return rules.open_themes(len(rows))
    answers = [EvaluationAnswer(group=r.role_group, answers=_answers(r)) for r in rows]
    return rules.collate_evaluation(answers, questions)


def cloud_file_id(db: Session, project_id: int) -> str | None:
    """The Slack file id of the uploaded word cloud, once it went out."""
    row = db.scalar(
        select(Delivery).where(Delivery.idempotency_key == f"ending:{project_id}:cloud")
    )
    if row is None or row.status != DeliveryStatus.SENT:
        return None
    return row.slack_ts


def _answers(row: EndingEvaluation) -> dict[str, str]:
    try:
        data = json.loads(row.answers)
    except ValueError:
        return {}
    return {k: str(v) for k, v in data.items() if k in rules.QUESTION_KEYS}


def project_any(
    db: Session, *, team_id: str, channel_id: str | None = None, project_id: int | None = None
) -> Project:
    """A project of this workspace by channel or id, active or closed (results and exports
    stay available after closing, until the retention purge)."""
    return access.project_by_channel_or_id(
        db, team_id=team_id, channel_id=channel_id, project_id=project_id, closed_too=True
    )


def _member_group(project: Project, user_id: str) -> str:
    role = access.require_member(
        project,
        user_id,
        f"You are not a member of “{project.name}”, so there is nothing for you to answer here.",
    )
    return rules.group_of(role)


# ---------------------------------------------------------------- the service


class Endings(SessionChangingService):
    """Use cases for the end of a project; each public call is one transaction."""

    # -- starting and closing the collection -------------------------------------------

    def draft(self, **asked: Unpack[access.CoordinatorAsks]) -> EndingDraft:
        """The ending modal for a coordinator (by channel, or by id from an App Home button)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(db, **asked)
            ending = db.get(Ending, project.id)
            today = local_day(now, project.timezone)
            return EndingDraft(
                **of_project_in_zone(project),
                default_deadline=today + rules.DEFAULT_COLLECTION,
                already=ending.started_at if ending is not None else None,
            )

    def start(
        self, *, team_id: str, user_id: str, project_id: int, plan: EndingPlan
    ) -> EndingStarted:
        """Open the collection and schedule the celebration, final debrief and follow-up.

        InvalidFields names each field to fix (keys: deadline, follow_up, celebration,
        reflective); nothing is saved then.
        """
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            ending = db.get(Ending, project.id, with_for_update=True)
            if ending is not None and ending.started_at is not None:
                raise AccessError(
                    "The ending of this project has already started. `/cobot ending close` "
                    "closes the collection early; `/cobot session add` adds other events."
                )
            tz = ZoneInfo(project.timezone)
            deadline, celebration_at, reflective_at = self._check_plan(plan, tz, now)
            if ending is None:
                ending = Ending(project_id=project.id, questions={}, updated_at=now)
                db.add(ending)
            ending.started_at = now
            ending.started_by = user_id
            ending.deadline = deadline
            ending.updated_at = now
            members = [m.user_id for m in project.members]
            celebration = reflective = None
            if celebration_at is not None:
                coordinators = access.people_with(project, Role.COORDINATOR)
                celebration = _event(
                    self._changes,
                    db,
                    project,
                    kind=SessionKind.CELEBRATION,
                    title=f"Celebration: {project.name}",
                    starts_at=celebration_at,
                    venue=plan.celebration_venue.strip(),
                    facilitators=coordinators,
                    participants=[m for m in members if m not in coordinators],
                    by=user_id,
                    now=now,
                )
                ending.celebration_session_id = celebration.id
            if reflective_at is not None:
                practitioners = access.people_with(project, Role.PRACTITIONER)
                team = access.people_with(project, Role.COORDINATOR) + access.people_with(
                    project, Role.PROJECT_TEAM
                )
                reflective = _event(
                    self._changes,
                    db,
                    project,
                    kind=SessionKind.REFLECTIVE,
                    title=f"Final debrief: {project.name}",
                    starts_at=reflective_at,
                    venue="",
                    facilitators=practitioners,
                    participants=team,
                    by=user_id,
                    now=now,
                )
                ending.reflective_session_id = reflective.id
            end = max([deadline] + ([celebration.ends_at] if celebration else []))
            ending.follow_up_at = end + timedelta(weeks=plan.follow_up_weeks)
            pid = project.id

            def owe(key: str, kind: str, target: str, due: datetime) -> deliveries.Owed:
                # an ending is its project's: keyed by the project, its payload names project_id
                return deliveries.Owed(
                    key=f"{SUBJECT}:{pid}:{key}",
                    kind=kind,
                    target=target,
                    due_at=due,
                    project_id=pid,
                    subject=(SUBJECT, pid),
                    payload={"project_id": pid},
                    escalate_to=user_id,
                )

            owed = [owe("started", STARTED, project.channel_id, now)]
            for member in members:
                owed.append(owe(f"invite:{member}", INVITE, member, now))
                owed.append(owe(f"follow_up:{member}", FOLLOW_UP, member, ending.follow_up_at))
            owed.append(owe("cloud", CLOUD, project.channel_id, deadline))
            owed.append(owe("results", RESULTS, project.channel_id, deadline))
            deliveries.schedule_many(db, owed, now=now)
            return EndingStarted(
                project_name=project.name,
                timezone=project.timezone,
                deadline=deadline,
                invited=len(members),
                celebration_at=celebration_at,
                reflective_at=reflective_at,
                follow_up_at=ending.follow_up_at,
            )

    def _check_plan(
        self, plan: EndingPlan, tz: ZoneInfo, now: datetime
    ) -> tuple[datetime, datetime | None, datetime | None]:
        errors: dict[str, str] = {}
        today = local_day(now, tz)
        problem = rules.check_deadline(plan.deadline, today)
        if problem:
            errors["deadline"] = problem
        if not 1 <= plan.follow_up_weeks <= rules.MAX_FOLLOW_UP_WEEKS:
            errors["follow_up"] = f"Choose 1 to {rules.MAX_FOLLOW_UP_WEEKS} weeks."
        if len(plan.celebration_venue) > 300:
            errors["venue"] = "Keep the venue or link under 300 characters."
        events: dict[str, datetime | None] = {}
        for key, day, at in (
            (SessionKind.CELEBRATION, plan.celebration_day, plan.celebration_time),
            (SessionKind.REFLECTIVE, plan.reflective_day, plan.reflective_time),
        ):
            events[key] = None
            if day is None and at is None:
                continue
            if day is None or at is None:
                errors[key] = "Pick both a date and a time, or neither."
                continue
            try:
                when, _ambiguous = to_utc(day, at, tz)
            except LocalTimeError as exc:
                errors[key] = f"{exc}; pick another time."
                continue
            if when <= now:
                errors[key] = "That time has already passed; pick a future date."
            events[key] = when
        raise_if_invalid(errors)
        deadline, _ = to_utc(plan.deadline, DEADLINE_TIME, tz)
        return deadline, events[SessionKind.CELEBRATION], events[SessionKind.REFLECTIVE]

    def close_collection(self, *, team_id: str, channel_id: str, user_id: str) -> CollectionClosed:
        """Close the collection now: the word cloud and the results go to the channel."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            ending = _open_ending(db, project)
            _close(db, ending, now=now, by=user_id)
            answers = db.scalars(
                select(EndingFeeling.id).where(EndingFeeling.project_id == project.id)
            ).all()
            return CollectionClosed(project_name=project.name, answers=len(answers))

    # -- feelings ------------------------------------------------------------------------

    def feelings_form(self, *, team_id: str, user_id: str, project_id: int) -> FeelingsForm:
        """The feelings modal for a member while the collection is open."""
        with transaction(self._factory) as db:
            project, _group, mine = _answering(db, EndingFeeling, team_id, user_id, project_id)
            return FeelingsForm(
                **of_project(project),
                words=mine.typed if mine else "",
                boat=mine.boat if mine else "",
            )

    def submit_feelings(
        self, *, team_id: str, user_id: str, project_id: int, words: str, boat: str
    ) -> Saved:
        """Save (or replace) someone's words and boat; InvalidFields (words, boat) refuses."""
        errors: dict[str, str] = {}
        counted: tuple[str, ...] = ()
        try:
            counted = rules.parse_feelings(words)
        except WordsError as exc:
            errors["words"] = str(exc)
        try:
            boat = rules.check_boat(boat)
        except WordsError as exc:
            errors["boat"] = str(exc)

        def fill(mine: EndingFeeling, group: str) -> None:
            mine.role_group = group
            mine.typed = " ".join(words.split())[:200]
            mine.words = " ".join(counted)
            mine.boat = boat

        return self._save(EndingFeeling, fill, errors, team_id, user_id, project_id, counted)

    def feelings(self, *, team_id: str, channel_id: str, user_id: str) -> FeelingsView:
        """The shared tally, image reference and counts (members; once the collection closed)."""
        with transaction(self._factory) as db:
            project = project_any(db, team_id=team_id, channel_id=channel_id)
            access.require_member(project, user_id, access.only_members_see("how it ended"))
            ending = db.get(Ending, project.id)
            closed = ending.closed_at if ending else None
            tally = feelings_tally(db, project.id)
            return FeelingsView(
                project_name=project.name,
                started=ending is not None and ending.started_at is not None,
                closed_at=closed,
                deadline=ending.deadline if ending else None,
                timezone=project.timezone,
                tally=tally,
                cloud_file_id=cloud_file_id(db, project.id) if closed else None,
            )

    # -- evaluation ----------------------------------------------------------------------

    def evaluation_form(self, *, team_id: str, user_id: str, project_id: int) -> EvaluationForm:
        """The evaluation modal for a member while the collection is open."""
        with transaction(self._factory) as db:
            project, _group, mine = _answering(db, EndingEvaluation, team_id, user_id, project_id)
            ending = db.get(Ending, project.id)
            return EvaluationForm(
                **of_project(project),
                questions=rules.questions_from_json(ending.questions if ending else None),
                answers=_answers(mine) if mine else {},
            )

    def submit_evaluation(
        self, *, team_id: str, user_id: str, project_id: int, answers: dict[str, str]
    ) -> Saved:
        """Save (or replace) someone's evaluation; InvalidFields per question key."""
        clean, errors = rules.check_evaluation(answers)

        def fill(mine: EndingEvaluation, group: str) -> None:
            mine.role_group = group
            mine.answers = json.dumps(clean)

        return self._save(EndingEvaluation, fill, errors, team_id, user_id, project_id)

    def questions_form(self, *, team_id: str, channel_id: str, user_id: str) -> QuestionsForm:
        """The evaluation questions, for a coordinator to reword."""
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            ending = db.get(Ending, project.id)
            return QuestionsForm(
                **of_project(project),
                questions=rules.questions_from_json(ending.questions if ending else None),
            )

    def save_questions(
        self, *, team_id: str, user_id: str, project_id: int, questions: dict[str, str]
    ) -> QuestionsForm:
        """Reword the evaluation questions (coordinators); InvalidFields per key."""
        errors = rules.check_questions(questions)
        raise_if_invalid(errors)
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            ending = db.get(Ending, project.id)
            if ending is None:
                ending = Ending(project_id=project.id, questions={}, updated_at=now)
                db.add(ending)
            ending.questions = {k: questions[k].strip() for k in rules.QUESTION_KEYS}
            ending.updated_at = now
            return QuestionsForm(
                **of_project(project),
                questions=rules.questions_from_json(ending.questions),
            )

    def themes(self, *, team_id: str, channel_id: str, user_id: str) -> ThemesView:
        """The evaluation by group for a coordinator: counts and anonymous texts, safe groups
        only."""
        with transaction(self._factory) as db:
            project = project_any(db, team_id=team_id, channel_id=channel_id)
            access.require_coordinator(project, user_id)
            return ThemesView(project_name=project.name, themes=evaluation_themes(db, project.id))

    # -- the follow-up -------------------------------------------------------------------

    def follow_up_form(self, *, team_id: str, user_id: str, project_id: int) -> FollowUpForm:
        """The follow-up reply modal, for a member (also after the project closed)."""
        with transaction(self._factory) as db:
            project, _group, mine = _answering(db, EndingFollowUp, team_id, user_id, project_id)
            return FollowUpForm(
                **of_project(project),
                how=mine.how if mine else "",
                what_next=mine.what_next if mine else "",
            )

    def submit_follow_up(
        self, *, team_id: str, user_id: str, project_id: int, how: str, what_next: str
    ) -> Saved:
        """Save a follow-up reply (both answers optional, each up to MAX_ANSWER)."""
        errors = TypedText(rules.MAX_ANSWER).problems({"how": how, "what_next": what_next})

        def fill(mine: EndingFollowUp, _group: str) -> None:
            mine.how = how.strip()
            mine.what_next = what_next.strip()

        return self._save(EndingFollowUp, fill, errors, team_id, user_id, project_id)

    def _save(
        self,
        table: type[_Row],
        fill: Callable[[_Row, str], None],
        errors: dict[str, str],
        team_id: str,
        user_id: str,
        project_id: int,
        words: tuple[str, ...] = (),
    ) -> Saved:
        """Save (or replace) the asker's answer in `table`, written by `fill(row, group)`;
        InvalidFields refuses `errors`, and nothing is saved then."""
        raise_if_invalid(errors)
        now = self._clock.now()
        with transaction(self._factory) as db:
            project, group, earlier = _answering(db, table, team_id, user_id, project_id)
            mine = (
                _new_answer(db, table, project.id, user_id, now=now) if earlier is None else earlier
            )
            fill(mine, group)
            mine.updated_at = now
            return Saved(project_name=project.name, edited=earlier is not None, words=words)

    # -- closing the project -------------------------------------------------------------

    def close_draft(self, *, team_id: str, channel_id: str, user_id: str) -> CloseDraft:
        """What closing would do, for the coordinator's confirmation."""
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            ending = db.get(Ending, project.id)
            return CloseDraft(
                **of_project(project),
                pending=len(_stoppable(db, project.id)),
                collection_open=ending is not None
                and ending.started_at is not None
                and ending.closed_at is None,
                retention_days=retention_days(db, project.id),
            )

    def close_project(self, *, team_id: str, user_id: str, project_id: int) -> ProjectClosed:
        """Close the project: every pending prompt is cancelled except the ending's results
        and the follow-up; an open collection closes (its results go out now); check-ins
        stop; the retention clock starts (closed_at)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            ending = db.get(Ending, project.id)
            if ending is not None and ending.started_at is not None and ending.closed_at is None:
                _close(db, ending, now=now, by=user_id)
            cancelled = deliveries.cancel(db, _stoppable(db, project.id), now=now)
            project.status = ProjectStatus.CLOSED
            project.closed_at = now
            project.updated_at = now
            return ProjectClosed(
                project_name=project.name,
                timezone=project.timezone,
                cancelled=len(cancelled),
                closed_at=now,
                retention_until=now + timedelta(days=retention_days(db, project.id)),
            )

    # -- rendering at send time ----------------------------------------------------------

    def render(self, db: Session, delivery: Delivery) -> EndingNote | None:
        """What an ending delivery says now, or None when it no longer applies."""
        project = db.get(Project, int(delivery.payload.get("project_id", 0)))
        ending = db.get(Ending, project.id) if project is not None else None
        if project is None or ending is None or ending.deadline is None:
            return None
        kind = delivery.kind
        if kind == FOLLOW_UP:
            return FollowUpNote(**of_project(project))
        if kind == STARTED:
            return StartedNote(
                project_name=project.name,
                timezone=project.timezone,
                deadline=ending.deadline,
                celebration=_brief(db, ending.celebration_session_id),
                reflective=_brief(db, ending.reflective_session_id),
                follow_up_at=ending.follow_up_at,
            )
        if kind == INVITE:
            if ending.closed_at is not None or project.status != ProjectStatus.ACTIVE:
                return None
            return InviteNote(
                **of_project_in_zone(project),
                deadline=ending.deadline,
            )
        # the results: the deadline closes the collection if nobody closed it earlier
        if ending.closed_at is None:
            ending.closed_at = self._clock.now()
        tally = feelings_tally(db, project.id)
        if kind == CLOUD:
            if not tally.shareable:
                return None
            return CloudNote(
                project_name=project.name, answers=tally.answers, png=rules.cloud_png(tally.counts)
            )
        if kind == RESULTS:
            return ResultsNote(project_name=project.name, tally=tally)
        return None


def _open_ending(db: Session, project: Project) -> Ending:
    ending = db.get(Ending, project.id, with_for_update=True)
    if ending is None or ending.started_at is None:
        raise AccessError(
            "The ending has not started yet: `/cobot ending start` opens the collection."
        )
    if ending.closed_at is not None:
        raise AccessError("The collection has already closed; `/cobot feelings` shows it.")
    return ending


def _answerable(
    db: Session, team_id: str, user_id: str, project_id: int
) -> tuple[Project, Ending, str]:
    project = access.project_by_id(db, team_id=team_id, project_id=project_id)
    group = _member_group(project, user_id)
    ending = db.get(Ending, project.id)
    if ending is None or ending.started_at is None:
        raise AccessError("The ending of this project has not started yet.")
    if ending.closed_at is not None:
        raise AccessError(
            "The collection has closed, so answers can no longer be added or changed. "
            "Thank you for being part of it."
        )
    return project, ending, group


_Row = TypeVar("_Row", EndingFeeling, EndingEvaluation, EndingFollowUp)


def _answering(
    db: Session, table: type[_Row], team_id: str, user_id: str, project_id: int
) -> tuple[Project, str, _Row | None]:
    """The project a member answers in `table`, their group and their earlier answer: the
    feelings and the evaluation while the collection is open, the follow-up also after the
    project closed."""
    if table is EndingFollowUp:
        project = project_any(db, team_id=team_id, project_id=project_id)
        group = _member_group(project, user_id)
    else:
        project, _ending, group = _answerable(db, team_id, user_id, project_id)
    return project, group, _mine(db, table, project.id, user_id)


def _mine(db: Session, table: type[_Row], project_id: int, user_id: str) -> _Row | None:
    return db.scalar(select(table).where(table.project_id == project_id, table.user_id == user_id))


def _new_answer(
    db: Session, table: type[_Row], project_id: int, user_id: str, *, now: datetime
) -> _Row:
    """The person's first answer in `table`, to fill in."""
    mine = table(project_id=project_id, user_id=user_id, created_at=now)
    db.add(mine)
    return mine


def _close(db: Session, ending: Ending, *, now: datetime, by: str | None) -> None:
    """Close the collection now and bring its results forward to now."""
    ending.closed_at = now
    ending.closed_by = by
    ending.updated_at = now
    for key in ("cloud", "results"):
        row = db.scalar(
            select(Delivery).where(Delivery.idempotency_key == f"ending:{ending.project_id}:{key}")
        )
        if row is not None and row.due_at > now:
            deliveries.move(db, delivery=row, due_at=now, now=now)


def _stoppable(db: Session, project_id: int) -> list[Delivery]:
    return list(
        db.scalars(
            select(Delivery).where(
                Delivery.project_id == project_id,
                Delivery.status == DeliveryStatus.SCHEDULED,
                Delivery.kind.not_in(sorted(KEEP_ON_CLOSE)),
            )
        )
    )


def _event(
    changes: SessionChanges,
    db: Session,
    project: Project,
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    venue: str,
    facilitators: Sequence[str],
    participants: Sequence[str],
    by: str,
    now: datetime,
) -> CoSession:
    """A session of the ending, planned like any other (reminders included)."""
    row = CoSession(
        project_id=project.id,
        kind=kind,
        title=title[:150],
        starts_at=starts_at,
        ends_at=starts_at + EVENT_LENGTH,
        venue=venue,
        objectives="",
        status=SessionStatus.SCHEDULED,
        revision=1,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    people = dict.fromkeys(participants, SessionRole.PARTICIPANT)
    people.update(dict.fromkeys(facilitators, SessionRole.FACILITATOR))
    row.people = [SessionPerson(user_id=u, role=r) for u, r in people.items()]
    db.add(row)
    db.flush()
    changes.publish(db, SessionChanged(row.id, SessionChange.ADDED), now=now)
    return row


def _brief(db: Session, session_id: int | None) -> EventBrief | None:
    row = db.get(CoSession, session_id) if session_id is not None else None
    if row is None or row.status != SessionStatus.SCHEDULED:
        return None
    return EventBrief(title=row.title, starts_at=row.starts_at)


def ending_kinds(*, present: Presenter, service: Endings) -> Sequence[DeliveryKind]:
    """The delivery kinds endings use, rendered at send time by `present`."""
    return deliveries.kinds_rendered_by(
        deliveries.Presented[EndingNote](service.render, present),
        {
            STARTED: LatenessPolicy(timedelta(days=2), "the ending was announced too late"),
            INVITE: None,
            CLOUD: None,
            RESULTS: None,
            FOLLOW_UP: None,
        },
    )


__all__ = [
    "CLOUD",
    "FOLLOW_UP",
    "INVITE",
    "RESULTS",
    "STARTED",
    "EndingPlan",
    "Endings",
    "InvalidFields",
    "cloud_file_id",
    "ending_kinds",
    "evaluation_themes",
    "feelings_tally",
    "project_any",
]
