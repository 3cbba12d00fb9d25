"""Private wellbeing check-ins: consent first, each person's own time and zone, answers seen
only by their author, contact only on request, aggregates only for groups of 3 or more.

Each enrolled person has exactly one future check-in in the deliveries ledger (kind
`checkin`, key `checkin:{project}:{user}:{local date}`); rendering one at send time plans the
next, so the chain carries on. What a check-in says is rendered from current state; delivery
payloads carry ids only, never an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Generic
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain import checkins as rules
from cobot.domain import disclosure
from cobot.domain import zones
from cobot.domain.deliveries import DeliveryStatus
from cobot.domain.projects import ProjectStatus
from cobot.domain.roles import Role
from cobot.domain.sessions import SessionStatus
from cobot.domain.text import TypedText
from cobot.services import access
from cobot.services import deliveries
from cobot.services import receipts
from cobot.services.access import AccessError
from cobot.services.access import InvalidFields
from cobot.services.access import NoProjectHere
from cobot.services.access import raise_if_invalid
from cobot.services.base import ForProject
from cobot.services.base import Service
from cobot.services.deliveries import DeliveryKind
from cobot.services.ports import Clock
from cobot.services.ports import Directory
from cobot.services.ports import OutgoingMessage
from cobot.services.privacy import Forgotten
from cobot.services.privacy import PersonalData
from cobot.services.privacy import Privacy
from cobot.services.project_views import of_project
from cobot.services.projects import lock_project
from cobot.services.resubmission import once_per_form
from cobot.storage.db import transaction
from cobot.storage.models import CheckinAnswer
from cobot.storage.models import CheckinContactRequest
from cobot.storage.models import CheckinPerson
from cobot.storage.models import CheckinSetup
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from cobot.storage.models import PublishedFigure
from cobot.storage.models import SessionPerson

CHECKIN = "checkin"
CONTACT = "checkin_contact"
KINDS = (CHECKIN, CONTACT)
# who is enrolled, when they were asked, when a contact was alerted: never in an export
PRIVATE_KINDS = frozenset(KINDS)
SUBJECT = "checkin_person"
CONTACT_SUBJECT = "checkin_contact"

INVITED = "invited"
ACTIVE = "active"
DECLINED = "declined"
STOPPED = "stopped"
LIVE = (INVITED, ACTIVE)

MAX_NOTE = 2000
MAX_SUPPORT = 2900
MAX_PAUSE = timedelta(days=366)
_NOTE = TypedText(MAX_NOTE, "the note")
_MESSAGE = TypedText(MAX_NOTE, "the message")
_SUPPORT = TypedText(MAX_SUPPORT, "the support information")
# `/cobot checkin summary` without a month shows this many closed months
SUMMARY_PERIODS = 3

NOT_YOURS = "That check-in is not yours or no longer exists, so nothing was changed."


# ---------------------------------------------------------------- what services return


@dataclass(frozen=True)
class Prompt:
    """A check-in message to present: the consent request or the question itself."""

    delivery_id: int
    project_name: str
    consent: bool
    contacts: tuple[str, ...]
    retention_days: int
    time_of_day: str
    days: tuple[int, ...]
    timezone: str


@dataclass(frozen=True)
class ContactNote:
    """What a wellbeing contact is sent: only what the person chose to share."""

    project_name: str
    person: str
    requested_at: datetime
    timezone: str
    mood: int | None
    note: str | None
    message: str | None


@dataclass(frozen=True)
class Consented:
    """The person answered the consent request."""

    agreed: bool
    prompt: Prompt | None
    next_at: datetime | None
    timezone: str


@dataclass(frozen=True)
class Answer:
    """A mood recorded; `support` is the project's support information when it is low."""

    delivery_id: int
    mood: int
    has_note: bool
    low: bool
    streak: bool
    support: str
    has_contacts: bool
    project_name: str


@dataclass(frozen=True)
class NoteForm:
    """The note modal's content."""

    delivery_id: int
    note: str


@dataclass(frozen=True)
class ContactForm:
    """The contact modal's content: who would be told, and what could be shared."""

    delivery_id: int
    contacts: tuple[str, ...]
    mood: int | None
    has_note: bool


@dataclass(frozen=True)
class ContactRequested:
    """The contacts will get a DM with what was shared."""

    contacts: tuple[str, ...]
    shared_mood: bool
    shared_note: bool
    shared_message: bool


@dataclass(frozen=True)
class Planned:
    """When the next check-in is (None when there is none)."""

    next_at: datetime | None
    timezone: str
    paused_until: date | None = None


# a person's working days: numbers (0 = Monday) in the settings modal, words on Home
Days = TypeVar("Days", tuple[int, ...], str)


@dataclass(frozen=True)
class CheckinSettings(ForProject, Generic[Days]):
    """A person's own check-in settings in one project: one list of names for the settings
    modal and for Home's line."""

    status: str
    time_of_day: str
    days: Days
    after_sessions: bool
    paused_until: date | None


@dataclass(frozen=True)
class PersonSettings(CheckinSettings[tuple[int, ...]]):
    """A person's own check-in settings, for the settings modal."""

    timezone: str
    next_at: datetime | None


@dataclass(frozen=True)
class SettingsInput:
    """What a person chose in the settings modal."""

    time_text: str
    days: tuple[int, ...]
    after_sessions: bool
    paused_until: date | None
    taking_part: bool


@dataclass(frozen=True)
class SetupFields:
    """The set-up modal's fields, as shown and as chosen: one list of names."""

    enabled: bool
    roles: tuple[str, ...]
    rhythm: str
    support_text: str


@dataclass(frozen=True)
class SetupForm(SetupFields, ForProject):
    """A project's check-in set-up, for coordinators (the project's fields first)."""

    retention_days: int
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class SetupInput(SetupFields):
    """What a coordinator chose in the set-up modal (the retention as typed)."""

    retention_text: str


@dataclass(frozen=True)
class SetupSaved:
    """The set-up was saved; `invited` people get their consent request at their time."""

    enabled: bool
    invited: int
    roles: tuple[str, ...]


@dataclass(frozen=True)
class HistoryEntry:
    """One of the person's own answers."""

    asked_on: date
    mood: int
    note: str | None


@dataclass(frozen=True)
class ProjectHistory:
    """A person's own answers in one project, oldest first."""

    project_name: str
    entries: tuple[HistoryEntry, ...]

    @property
    def trend(self) -> str:
        """A sparkline of the moods, oldest first."""
        return rules.sparkline(e.mood for e in self.entries)


@dataclass(frozen=True)
class History:
    """Everything the person answered, per project."""

    projects: tuple[ProjectHistory, ...]


@dataclass(frozen=True)
class ContactAsked:
    """Who asked for contact and when (never their mood or note)."""

    user_id: str
    requested_at: datetime


@dataclass(frozen=True)
class PeriodFigures:
    """One closed month's published figures: the same for every viewer, for ever."""

    period: str
    label: str
    aggregate: rules.Aggregate


@dataclass(frozen=True)
class Summary:
    """What coordinators see: the published figures of closed months (newest first), the
    open month (nothing shown for it) and, for the named wellbeing contacts only, who asked
    for contact and when."""

    project_name: str
    timezone: str
    periods: tuple[PeriodFigures, ...]
    open_period: str
    open_until: datetime
    # whether the viewer is a named wellbeing contact (only they see contact requests)
    is_contact: bool
    contact_requests: tuple[ContactAsked, ...]


CheckinPresenter = Callable[[Prompt], OutgoingMessage]
ContactPresenter = Callable[[ContactNote], OutgoingMessage]


# ---------------------------------------------------------------- helpers on rows


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    return ZoneInfo(zones.first_valid_timezone(name, fallback))


def _time_of(person: CheckinPerson) -> time:
    found = rules.parse_time(person.time_of_day)
    return found if isinstance(found, time) else rules.DEFAULT_TIME


def _days_of(person: CheckinPerson) -> tuple[int, ...]:
    days = tuple(sorted({int(d) for d in person.working_days or [] if 0 <= int(d) <= 6}))
    return days or rules.DEFAULT_DAYS


def _setup(db: Session, project_id: int) -> CheckinSetup | None:
    return db.get(CheckinSetup, project_id)


def _included(project: Project, setup: CheckinSetup, user_id: str) -> bool:
    role = access.role_of(project, user_id)
    return role is not None and role.value in (setup.roles or [])


def _person_row(db: Session, project_id: int, user_id: str) -> CheckinPerson | None:
    return db.scalar(
        select(CheckinPerson).where(
            CheckinPerson.project_id == project_id, CheckinPerson.user_id == user_id
        )
    )


def _mood(answer: CheckinAnswer) -> int:
    try:
        return int(answer.mood)
    except ValueError:
        return 0


def _cancel_person(db: Session, person: CheckinPerson, now: datetime) -> None:
    deliveries.cancel_subject(db, subject=(SUBJECT, person.id), now=now)


def _setup_for_change(db: Session, project: Project, user_id: str, now: datetime) -> CheckinSetup:
    setup = _setup(db, project.id)
    if setup is None:
        setup = CheckinSetup(
            project_id=project.id,
            enabled=False,
            roles=[r.value for r in Role],
            rhythm=rules.DEFAULT_RHYTHM,
            support_text="",
            contacts=[],
            retention_days=rules.DEFAULT_RETENTION_DAYS,
            updated_by=user_id,
            updated_at=now,
        )
        db.add(setup)
        db.flush()
    return setup


# ---------------------------------------------------------------- the service


class Checkins(Service):
    """Check-ins for people, set-up and aggregates for coordinators, export and erasure."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        directory: Directory,
        privacy: Privacy | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._directory = directory
        # export, erasure and retention cover every feature, from the privacy registry
        self._privacy = privacy or Privacy(factory=factory, clock=clock)

    # ------------------------------------------------------------ planning

    def _plan(
        self,
        db: Session,
        person: CheckinPerson,
        project: Project,
        setup: CheckinSetup,
        *,
        now: datetime,
        after: datetime | None = None,
        snooze: bool = False,
        due: datetime | None = None,
    ) -> datetime | None:
        """Keep exactly one future check-in for `person`: compute when, (re)use its ledger row,
        cancel any other. The Slack zone is read afresh, so travel moves the next one."""
        if person.status not in LIVE or not setup.enabled or project.status != ProjectStatus.ACTIVE:
            _cancel_person(db, person, now)
            return None
        zone_name = self._directory.timezone(person.user_id) or person.timezone or project.timezone
        person.timezone = zone_name
        tz = _zone(zone_name, project.timezone)
        start = after or now
        at, days = _time_of(person), _days_of(person)
        if due is None and snooze:
            tomorrow = zones.local_day(start, tz) + timedelta(days=1)
            due = rules.first_slot(
                start, tz=tz, at=at, days=days, from_date=tomorrow, paused_until=person.paused_until
            )
        elif due is None:
            due = rules.next_checkin(
                start,
                tz=tz,
                at=at,
                days=days,
                interval_days=rules.RHYTHMS.get(setup.rhythm, 7),
                last_date=person.last_checkin_on,
                session_ends=self._session_ends(db, person, start),
                paused_until=person.paused_until,
            )
        row: Delivery | None = None
        for _ in range(60):
            local_day = zones.local_day(due, tz)
            key = f"checkin:{project.id}:{person.user_id}:{local_day.isoformat()}"
            row = db.scalar(select(Delivery).where(Delivery.idempotency_key == key))
            if row is None or row.status in (DeliveryStatus.CANCELLED, DeliveryStatus.SCHEDULED):
                # new, or never sent: the ledger schedules, reopens or moves it
                owed = deliveries.Owed(
                    key=key,
                    kind=CHECKIN,
                    target=person.user_id,
                    due_at=due,
                    project_id=project.id,
                    subject=(SUBJECT, person.id),
                    payload={"project_id": project.id},
                )
                deliveries.reconcile(db, subject=deliveries.Scope(SUBJECT), owed=[owed], now=now)
                row = deliveries.existing_by_key(db, [key])[key]
                break
            # that day's check-in already went (or is going): the next working day
            due = rules.first_slot(
                due,
                tz=tz,
                at=at,
                days=days,
                from_date=local_day + timedelta(days=1),
                paused_until=person.paused_until,
            )
        assert row is not None
        others = db.scalars(
            select(Delivery).where(
                Delivery.subject_type == SUBJECT,
                Delivery.subject_id == person.id,
                Delivery.status == DeliveryStatus.SCHEDULED,
                Delivery.id != row.id,
            )
        ).all()
        deliveries.cancel(db, others, now=now)
        return row.due_at

    def _session_ends(self, db: Session, person: CheckinPerson, after: datetime) -> list[datetime]:
        if not person.after_sessions:
            return []
        return list(
            db.scalars(
                select(CoSession.ends_at)
                .join(SessionPerson, SessionPerson.session_id == CoSession.id)
                .where(
                    CoSession.project_id == person.project_id,
                    CoSession.status == SessionStatus.SCHEDULED,
                    CoSession.ends_at > after,
                    SessionPerson.user_id == person.user_id,
                )
                .order_by(CoSession.ends_at)
                .limit(5)
            )
        )

    def _invite(
        self, db: Session, project: Project, setup: CheckinSetup, user_id: str, now: datetime
    ) -> bool:
        """Enrol a member: their first check-in (the consent request) is planned."""
        person = _person_row(db, project.id, user_id)
        if person is not None:
            if person.status in LIVE:
                self._plan(db, person, project, setup, now=now)
            return False
        person = CheckinPerson(
            project_id=project.id,
            user_id=user_id,
            status=INVITED,
            time_of_day=rules.DEFAULT_TIME.strftime("%H:%M"),
            working_days=list(rules.DEFAULT_DAYS),
            after_sessions=False,
            created_at=now,
            updated_at=now,
        )
        db.add(person)
        db.flush()
        self._plan(db, person, project, setup, now=now)
        return True

    def _next_due(self, db: Session, person: CheckinPerson) -> datetime | None:
        return db.scalar(
            select(Delivery.due_at).where(
                Delivery.subject_type == SUBJECT,
                Delivery.subject_id == person.id,
                Delivery.status == DeliveryStatus.SCHEDULED,
            )
        )

    # ------------------------------------------------------------ rendering at send time

    def render_checkin(self, db: Session, delivery: Delivery) -> Prompt | None:
        """What a check-in delivery says now (planning the next one), or None to skip it."""
        now = self._clock.now()
        person = db.get(CheckinPerson, delivery.subject_id or 0)
        if person is None or person.status not in LIVE or person.user_id != delivery.target:
            return None
        project = db.get(Project, person.project_id)
        setup = _setup(db, person.project_id)
        if (
            project is None
            or project.status != ProjectStatus.ACTIVE
            or setup is None
            or not setup.enabled
        ):
            return None
        if not _included(project, setup, person.user_id):
            _cancel_person(db, person, now)
            return None
        tz = _zone(person.timezone, project.timezone)
        local_day = zones.local_day(delivery.due_at, tz)
        if (
            person.status == INVITED
            and person.consented_at is None
            and _consent_asked(db, person, delivery.id)
        ):
            return None  # asked once already: the person's answer to it is awaited
        paused = person.paused_until is not None and local_day < person.paused_until
        late = now > delivery.due_at + rules.MAX_LATENESS
        if paused or late:
            # a pause is honoured and a late one may fall at night: skip, plan the next
            self._plan(db, person, project, setup, now=now)
            return None
        if person.status == ACTIVE:
            person.last_checkin_on = local_day
            person.updated_at = now
            self._plan(db, person, project, setup, now=now)
        return _prompt(delivery.id, project, setup, person, consent=person.status == INVITED)

    def render_contact(self, db: Session, delivery: Delivery) -> ContactNote | None:
        """What a wellbeing contact is told: exactly what the person chose to share."""
        request = db.get(CheckinContactRequest, delivery.subject_id or 0)
        if request is None:
            return None
        person = db.get(CheckinPerson, request.person_id)
        project = db.get(Project, request.project_id)
        setup = _setup(db, request.project_id)
        if person is None or project is None or setup is None:
            return None
        if delivery.target not in (setup.contacts or []):
            return None
        answer = db.get(CheckinAnswer, request.answer_id) if request.answer_id else None
        return ContactNote(
            project_name=project.name,
            person=person.user_id,
            requested_at=request.requested_at,
            timezone=project.timezone,
            mood=_mood(answer) if request.share_mood and answer is not None else None,
            note=answer.note if request.share_note and answer is not None else None,
            message=request.message or None,
        )

    # ------------------------------------------------------------ from the check-in DM

    def _own(
        self, db: Session, team_id: str, user_id: str, delivery_id: int
    ) -> tuple[Delivery, CheckinPerson, Project, CheckinSetup]:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None or delivery.kind != CHECKIN or delivery.target != user_id:
            raise AccessError(NOT_YOURS)
        person = db.get(CheckinPerson, delivery.subject_id or 0)
        if person is None or person.user_id != user_id:
            raise AccessError(NOT_YOURS)
        project = access.project_by_id(db, team_id=team_id, project_id=person.project_id)
        setup = _setup(db, project.id)
        if setup is None:
            raise AccessError(NOT_YOURS)
        return delivery, person, project, setup

    def consent(self, *, team_id: str, user_id: str, delivery_id: int, agree: bool) -> Consented:
        """ "I agree" starts check-ins (and shows the question now); "No thanks" stops them
        before anything is collected."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
            tz_name = person.timezone or project.timezone
            if not agree:
                person.status = DECLINED
                person.updated_at = now
                _cancel_person(db, person, now)
                return Consented(agreed=False, prompt=None, next_at=None, timezone=tz_name)
            person.status = ACTIVE
            person.consented_at = person.consented_at or now
            person.last_checkin_on = zones.local_day(now, _zone(tz_name, project.timezone))
            person.updated_at = now
            next_at = self._plan(db, person, project, setup, now=now)
            prompt = _prompt(delivery.id, project, setup, person, consent=False)
            return Consented(agreed=True, prompt=prompt, next_at=next_at, timezone=tz_name)

    def answer(self, *, team_id: str, user_id: str, delivery_id: int, mood: int) -> Answer:
        """Record (or change) the mood for one check-in; low answers get the support text."""
        if mood not in rules.MOODS:
            raise AccessError("Pick one of the five answers. Nothing was saved.")
        now = self._clock.now()
        with transaction(self._factory) as db:
            delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
            if person.status != ACTIVE:
                raise AccessError(
                    "You are not taking part in check-ins at the moment, so nothing was saved. "
                    "To start again, use `/cobot checkin settings` in the project's channel."
                )
            row = db.scalar(select(CheckinAnswer).where(CheckinAnswer.delivery_id == delivery.id))
            tz = _zone(person.timezone, project.timezone)
            role = access.role_of(project, user_id)
            if row is None:
                row = CheckinAnswer(
                    person_id=person.id,
                    project_id=project.id,
                    delivery_id=delivery.id,
                    asked_on=zones.local_day(delivery.due_at, tz),
                    answered_at=now,
                    role=role.value if role else "former",
                    mood=str(mood),
                    note=None,
                )
                db.add(row)
            else:
                row.mood = str(mood)
                row.answered_at = now
            db.flush()
            recent = db.scalars(
                select(CheckinAnswer)
                .where(CheckinAnswer.person_id == person.id)
                .order_by(CheckinAnswer.asked_on.desc(), CheckinAnswer.id.desc())
                .limit(rules.LOW_STREAK)
            ).all()
            streak = rules.low_streak([_mood(a) for a in recent])
            low = rules.is_low(mood)
            return Answer(
                delivery_id=delivery.id,
                mood=mood,
                has_note=bool(row.note),
                low=low,
                streak=streak,
                support=setup.support_text if (low or streak) else "",
                has_contacts=bool(setup.contacts),
                project_name=project.name,
            )

    def note_form(self, *, team_id: str, user_id: str, delivery_id: int) -> NoteForm:
        """The person's note for this check-in, to edit."""
        with transaction(self._factory) as db:
            delivery, _person, _project, _setup_row = self._own(db, team_id, user_id, delivery_id)
            row = db.scalar(select(CheckinAnswer).where(CheckinAnswer.delivery_id == delivery.id))
            if row is None:
                raise AccessError("Pick how you are feeling first, then add a note.")
            return NoteForm(delivery_id=delivery.id, note=row.note or "")

    def save_note(self, *, team_id: str, user_id: str, delivery_id: int, note: str) -> Answer:
        """Keep (encrypted) what the person wanted to say; an empty note removes it."""
        cleaned = _NOTE.taken("note", note, InvalidFields)
        now = self._clock.now()
        with transaction(self._factory) as db:
            delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
            row = db.scalar(select(CheckinAnswer).where(CheckinAnswer.delivery_id == delivery.id))
            if row is None or person.status != ACTIVE:
                raise InvalidFields({"note": "Pick how you are feeling first, then add a note."})
            row.note = cleaned or None
            row.answered_at = now
            mood = _mood(row)
            return Answer(
                delivery_id=delivery.id,
                mood=mood,
                has_note=bool(row.note),
                low=rules.is_low(mood),
                streak=False,
                support="",
                has_contacts=bool(setup.contacts),
                project_name=project.name,
            )

    def contact_form(self, *, team_id: str, user_id: str, delivery_id: int) -> ContactForm:
        """Who would be asked to get in touch, and what the person could share."""
        with transaction(self._factory) as db:
            delivery, person, _project, setup = self._own(db, team_id, user_id, delivery_id)
            contacts = tuple(c for c in setup.contacts or [] if c != user_id)
            if not contacts:
                raise AccessError(
                    "This project has no wellbeing contact yet, so there is nobody to ask. "
                    "You could talk to someone you trust, or to the services in the project's "
                    "support information."
                )
            row = db.scalar(select(CheckinAnswer).where(CheckinAnswer.delivery_id == delivery.id))
            if person.status != ACTIVE:
                row = None
            return ContactForm(
                delivery_id=delivery.id,
                contacts=contacts,
                mood=_mood(row) if row is not None else None,
                has_note=bool(row is not None and row.note),
            )

    def request_contact(
        self,
        *,
        team_id: str,
        user_id: str,
        delivery_id: int,
        share_mood: bool,
        share_note: bool,
        message: str,
        form_id: str | None = None,
    ) -> ContactRequested:
        """Ask the project's wellbeing contacts to get in touch, sharing only what was ticked.
        `form_id` (the modal's view id) makes a second submission of the same form answer
        with the first request instead of alerting the contacts again."""
        cleaned = _MESSAGE.taken("message", message, InvalidFields)

        def attempt() -> ContactRequested:
            now = self._clock.now()
            receipt = receipts.key("checkin_contact", form_id, user_id=user_id) if form_id else None
            with transaction(self._factory) as db:
                delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
                contacts = tuple(c for c in setup.contacts or [] if c != user_id)
                if not contacts:
                    raise InvalidFields({"message": "This project has no wellbeing contact yet."})
                earlier = receipts.earlier(db, receipt, CheckinContactRequest)
                if earlier is not None and earlier.person_id == person.id:
                    return ContactRequested(
                        contacts=contacts,
                        shared_mood=earlier.share_mood,
                        shared_note=earlier.share_note,
                        shared_message=bool(earlier.message),
                    )
                answer = db.scalar(
                    select(CheckinAnswer).where(CheckinAnswer.delivery_id == delivery.id)
                )
                # only what there is to share is shared
                mood = share_mood and answer is not None
                note = share_note and answer is not None and bool(answer.note)
                request = CheckinContactRequest(
                    person_id=person.id,
                    project_id=project.id,
                    answer_id=answer.id if answer is not None and (mood or note) else None,
                    requested_at=now,
                    share_mood=mood,
                    share_note=note,
                    message=cleaned or None,
                )
                db.add(request)
                db.flush()
                if receipt:
                    receipts.record(db, receipt, result_id=request.id, now=now)
                for contact in contacts:
                    deliveries.schedule(
                        db,
                        key=f"checkin_contact:{request.id}:{contact}",
                        kind=CONTACT,
                        target=contact,
                        due_at=now,
                        now=now,
                        project_id=project.id,
                        subject=(CONTACT_SUBJECT, request.id),
                        payload={"request_id": request.id},
                    )
                return ContactRequested(
                    contacts=contacts,
                    shared_mood=mood,
                    shared_note=note,
                    shared_message=bool(cleaned),
                )

        return once_per_form(attempt, form_id)

    def snooze(self, *, team_id: str, user_id: str, delivery_id: int) -> Planned:
        """ "Not today": the next check-in comes on the person's next working day."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            _delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
            if person.status not in LIVE:
                return Planned(next_at=None, timezone=person.timezone or project.timezone)
            next_at = self._plan(db, person, project, setup, now=now, snooze=True)
            return Planned(next_at=next_at, timezone=person.timezone or project.timezone)

    def pause(self, *, team_id: str, user_id: str, delivery_id: int, until: date) -> Planned:
        """ "Away until <date>": no check-in before that day (local); back on it."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            _delivery, person, project, setup = self._own(db, team_id, user_id, delivery_id)
            today = zones.local_day(now, _zone(person.timezone, project.timezone))
            _check_pause(until, today, field="until")
            person.paused_until = until
            person.updated_at = now
            next_at = self._plan(db, person, project, setup, now=now)
            return Planned(
                next_at=next_at, timezone=person.timezone or project.timezone, paused_until=until
            )

    def stop(self, *, team_id: str, user_id: str, delivery_id: int) -> Planned:
        """Stop check-ins for this project with one click; nothing more is sent."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            _delivery, person, project, _setup_row = self._own(db, team_id, user_id, delivery_id)
            person.status = STOPPED
            person.updated_at = now
            _cancel_person(db, person, now)
            return Planned(next_at=None, timezone=person.timezone or project.timezone)

    # ------------------------------------------------------------ a person's own settings

    def _my_project(self, db: Session, team_id: str, channel_id: str, user_id: str) -> Project:
        try:
            return access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
        except NoProjectHere:
            mine = db.scalars(
                select(Project)
                .join(CheckinPerson, CheckinPerson.project_id == Project.id)
                .where(
                    Project.team_id == team_id,
                    Project.status == ProjectStatus.ACTIVE,
                    CheckinPerson.user_id == user_id,
                )
            ).all()
            if len(mine) == 1:
                return mine[0]
            raise AccessError(
                "Run this in your project's channel, so I know which project you mean."
            ) from None

    def settings_form(self, *, team_id: str, channel_id: str, user_id: str) -> PersonSettings:
        """The person's own check-in settings for the project (defaults if not enrolled)."""
        with transaction(self._factory) as db:
            project = self._my_project(db, team_id, channel_id, user_id)
            setup = _setup(db, project.id)
            if setup is None or not setup.enabled:
                raise AccessError(
                    "Check-ins are not switched on in this project. A coordinator can set "
                    "them up with `/cobot checkin setup`."
                )
            access.require_member(project, user_id, "Check-ins are for the people in this project.")
            person = _person_row(db, project.id, user_id)
            return _settings(project, person, self._next_due(db, person) if person else None)

    def save_settings(
        self, *, team_id: str, user_id: str, project_id: int, choice: SettingsInput
    ) -> PersonSettings:
        """Change time, days, after-session check-ins, pause, or opt out or back in."""
        errors: dict[str, str] = {}
        at = rules.parse_time(choice.time_text) if choice.time_text else "Pick a time of day."
        if isinstance(at, str):
            errors["time"] = at
        days = tuple(sorted({d for d in choice.days if 0 <= d <= 6}))
        if not days:
            errors["days"] = "Pick at least one day."
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.project_by_id(db, team_id=team_id, project_id=project_id)
            setup = _setup(db, project.id)
            if setup is None or not setup.enabled or not _included(project, setup, user_id):
                raise AccessError("Check-ins are not switched on for you in this project.")
            person = _person_row(db, project.id, user_id)
            tz = _zone(
                (person.timezone if person else None) or self._directory.timezone(user_id),
                project.timezone,
            )
            if choice.paused_until is not None:
                message = _pause_error(choice.paused_until, zones.local_day(now, tz))
                if message:
                    errors["pause"] = message
            raise_if_invalid(errors)
            assert isinstance(at, time)
            if person is None:
                person = CheckinPerson(
                    project_id=project.id,
                    user_id=user_id,
                    status=STOPPED,
                    created_at=now,
                    updated_at=now,
                )
                db.add(person)
            person.time_of_day = at.strftime("%H:%M")
            person.working_days = list(days)
            person.after_sessions = choice.after_sessions
            person.paused_until = choice.paused_until
            person.updated_at = now
            if not choice.taking_part:
                person.status = STOPPED
            elif person.status not in LIVE:
                person.status = ACTIVE if person.consented_at is not None else INVITED
            db.flush()
            if person.status in LIVE:
                self._plan(db, person, project, setup, now=now)
            else:
                _cancel_person(db, person, now)
            return _settings(project, person, self._next_due(db, person))

    # ------------------------------------------------------------ coordinators

    def setup_form(self, *, team_id: str, channel_id: str, user_id: str) -> SetupForm:
        """The project's check-in set-up, for a coordinator."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            setup = _setup(db, project.id)
            if setup is None:
                setup = _setup_for_change(db, project, user_id, now)
            return _setup_form(project, setup)

    def save_setup(
        self, *, team_id: str, user_id: str, project_id: int, choice: SetupInput
    ) -> SetupSaved:
        """Save the set-up; switching on invites the members of the chosen roles (each is
        asked for consent at their own check-in time, and nothing is collected before)."""
        errors: dict[str, str] = {}
        roles = tuple(r for r in choice.roles if r in {x.value for x in Role})
        if choice.enabled and not roles:
            errors["roles"] = "Pick at least one role to check in with."
        if choice.rhythm not in rules.RHYTHMS:
            errors["rhythm"] = "Pick how often check-ins come."
        errors.update(_SUPPORT.problems({"support": choice.support_text}))
        if choice.enabled and not choice.support_text.strip():
            errors["support"] = (
                "Say who people can talk to and which local services can help: cobot shows "
                "this to anyone whose answer is low."
            )
        retention_text = choice.retention_text.strip()
        retention = (
            int(retention_text) if retention_text.isascii() and retention_text.isdigit() else -1
        )
        if not 1 <= retention <= rules.MAX_RETENTION_DAYS:
            errors["retention"] = (
                f"Write a number of days between 1 and {rules.MAX_RETENTION_DAYS} (default "
                f"{rules.DEFAULT_RETENTION_DAYS})."
            )
        raise_if_invalid(errors)
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, project_id=project_id
            )
            setup = _setup_for_change(db, project, user_id, now)
            before = set(setup.roles or []) if setup.enabled else set()
            setup.enabled = choice.enabled
            setup.roles = list(roles)
            setup.rhythm = choice.rhythm
            setup.support_text = choice.support_text.strip()
            setup.retention_days = retention
            setup.updated_by = user_id
            setup.updated_at = now
            invited = 0
            newly = set(roles) - before
            people = db.scalars(
                select(CheckinPerson).where(CheckinPerson.project_id == project.id)
            ).all()
            for person in people:
                if person.status in LIVE:
                    self._plan(db, person, project, setup, now=now)
                    if not _included(project, setup, person.user_id):
                        _cancel_person(db, person, now)
            if setup.enabled:
                for member in project.members:
                    if member.role in newly or (
                        setup.invited_through is not None
                        and member.added_at > setup.invited_through
                        and member.role in roles
                    ):
                        invited += self._invite(db, project, setup, member.user_id, now)
                setup.invited_through = now
            return SetupSaved(enabled=setup.enabled, invited=invited, roles=roles)

    def set_contacts(
        self, *, team_id: str, channel_id: str, user_id: str, contacts: Sequence[str]
    ) -> tuple[str, ...]:
        """Name the project's wellbeing contacts (people who get in touch when asked)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.coordinators_project(
                db, team_id=team_id, user_id=user_id, channel_id=channel_id
            )
            setup = _setup_for_change(db, project, user_id, now)
            chosen = tuple(dict.fromkeys(contacts))
            setup.contacts = list(chosen)
            setup.updated_by = user_id
            setup.updated_at = now
            return chosen

    def summary(
        self, *, team_id: str, channel_id: str, user_id: str, period: str | None = None
    ) -> Summary:
        """The published check-in figures for coordinators: the last SUMMARY_PERIODS closed
        months, or the one month `period` names ("november", "2026-11"; anything else is
        refused with a clear message). Figures follow `disclosure.disclose` and are
        computed once per closed month; the open month shows nothing. Who asked for contact
        and when goes only to the project's named wellbeing contacts (who may read the
        summary even when they are not coordinators). Never anyone's mood or note."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            setup = _setup(db, project.id)
            is_contact = setup is not None and user_id in (setup.contacts or [])
            if not is_contact:
                access.require_coordinator(project, user_id)
            tz = _zone(project.timezone, "UTC")
            published = _publish(db, project, now)
            current = disclosure.current_period(now, tz)
            closed = [disclosure.Period.from_key(k) for k in published]
            if period is not None and period.strip():
                chosen = disclosure.parse_period(period, closed=closed, current=current)
                if isinstance(chosen, str):
                    raise AccessError(chosen)
                picked = [chosen]
            else:
                picked = sorted(closed, reverse=True)[:SUMMARY_PERIODS]
            asked: list[ContactAsked] = []
            if is_contact:
                oldest = min(picked, default=current)
                since = datetime.combine(oldest.first_day, time()).replace(tzinfo=tz)
                found = db.execute(
                    select(CheckinPerson.user_id, CheckinContactRequest.requested_at)
                    .join(CheckinPerson, CheckinPerson.id == CheckinContactRequest.person_id)
                    .where(
                        CheckinContactRequest.project_id == project.id,
                        CheckinContactRequest.requested_at >= since.astimezone(UTC),
                    )
                    .order_by(CheckinContactRequest.requested_at)
                ).all()
                asked = [ContactAsked(u, at) for u, at in found]
            return Summary(
                project_name=project.name,
                timezone=project.timezone,
                periods=tuple(
                    PeriodFigures(p.key, p.label, published[p.key])
                    for p in sorted(picked, reverse=True)
                ),
                open_period=current.label,
                open_until=current.ends(tz),
                is_contact=is_contact,
                contact_requests=tuple(asked),
            )

    def published(self, project_id: int) -> tuple[PeriodFigures, ...]:
        """Every closed month's published figures of a project, oldest first (the report
        and its CSVs; the caller checked the reader may see them)."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = db.get(Project, project_id)
            if project is None or _setup(db, project_id) is None:
                return ()
            figures = _publish(db, project, now)
            return tuple(
                PeriodFigures(k, disclosure.Period.from_key(k).label, figures[k])
                for k in sorted(figures)
            )

    def publish_closed(self, now: datetime) -> int:
        """Compute and store the figures of every month that has closed (the daily job; the
        reads do it too, on first read after a month ends); returns how many months."""
        with transaction(self._factory) as db:
            projects = db.scalars(
                select(Project).join(CheckinSetup, CheckinSetup.project_id == Project.id)
            ).all()
            before = int(
                db.scalar(
                    select(func.count(PublishedFigure.id)).where(PublishedFigure.group == ALL)
                )
                or 0
            )
            for project in projects:
                _publish(db, project, now)
            after = int(
                db.scalar(
                    select(func.count(PublishedFigure.id)).where(PublishedFigure.group == ALL)
                )
                or 0
            )
            return after - before

    # ------------------------------------------------------------ a person's own data

    def history(self, *, team_id: str, user_id: str) -> History:
        """The person's own answers in every project of this workspace, oldest first."""
        with transaction(self._factory) as db:
            people = db.execute(
                select(CheckinPerson, Project)
                .join(Project, Project.id == CheckinPerson.project_id)
                .where(CheckinPerson.user_id == user_id, Project.team_id == team_id)
                .order_by(Project.name)
            ).all()
            found = []
            for person, project in people:
                answers = db.scalars(
                    select(CheckinAnswer)
                    .where(CheckinAnswer.person_id == person.id)
                    .order_by(CheckinAnswer.asked_on, CheckinAnswer.id)
                ).all()
                if answers:
                    entries = tuple(HistoryEntry(a.asked_on, _mood(a), a.note) for a in answers)
                    found.append(ProjectHistory(project_name=project.name, entries=entries))
            return History(projects=tuple(found))

    def my_data(self, *, team_id: str, user_id: str) -> PersonalData:
        """Everything cobot stores about the person, in every feature (the registry's)."""
        return self._privacy.my_data(team_id=team_id, user_id=user_id)

    def forget(self, *, team_id: str, user_id: str) -> Forgotten:
        """Erase all the person's cobot data in this workspace, every feature, and cancel
        what is still owed to them; says what remains and why."""
        return self._privacy.forget(team_id=team_id, user_id=user_id)

    # ------------------------------------------------------------ upkeep

    def purge_expired(self, now: datetime) -> int:
        """Delete every feature's answers in projects closed longer than their retention
        setting; returns how many rows went."""
        return self._privacy.purge_expired(now).rows

    def refresh(self, now: datetime) -> int:
        """Invite members added since the last invitation and re-plan everyone's next
        check-in (fresh Slack zones, new sessions); returns how many were re-planned."""
        with transaction(self._factory) as db:
            setups = db.execute(
                select(CheckinSetup, Project)
                .join(Project, Project.id == CheckinSetup.project_id)
                .where(CheckinSetup.enabled.is_(True), Project.status == ProjectStatus.ACTIVE)
            ).all()
            count = 0
            for setup, project in setups:
                for member in project.members:
                    new = setup.invited_through is None or member.added_at > setup.invited_through
                    if new and member.role in (setup.roles or []):
                        self._invite(db, project, setup, member.user_id, now)
                setup.invited_through = now
                people = db.scalars(
                    select(CheckinPerson).where(
                        CheckinPerson.project_id == project.id, CheckinPerson.status == ACTIVE
                    )
                ).all()
                for person in people:
                    if _included(project, setup, person.user_id):
                        self._plan(db, person, project, setup, now=now)
                    else:
                        _cancel_person(db, person, now)
                    count += 1
            return count

    def daily_maintenance(self) -> tuple[int, int]:
        """The daily job: publish the months that closed (before any answer of theirs can
        be purged), purge expired answers, then refresh plans."""
        now = self._clock.now()
        self.publish_closed(now)
        return self.purge_expired(now), self.refresh(now)

    def send_now(self, *, project_id: int, user_id: str) -> int:
        """Bring the person's next check-in forward to now (demo and tests); its id."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            person = _person_row(db, project_id, user_id)
            project = db.get(Project, project_id)
            setup = _setup(db, project_id)
            if person is None or project is None or setup is None:
                raise AccessError("That person is not enrolled in this project's check-ins.")
            self._plan(db, person, project, setup, now=now, due=now)
            found = db.scalar(
                select(Delivery.id).where(
                    Delivery.subject_type == SUBJECT,
                    Delivery.subject_id == person.id,
                    Delivery.status == DeliveryStatus.SCHEDULED,
                )
            )
            if found is None:
                raise AccessError("That person has no check-in to send.")
            return int(found)


# ---------------------------------------------------------------- module helpers


ALL = "all"


def _stored(db: Session, project_id: int) -> dict[str, rules.Aggregate]:
    rows = db.scalars(
        select(PublishedFigure)
        .where(PublishedFigure.project_id == project_id)
        .order_by(PublishedFigure.period, PublishedFigure.group)
    ).all()
    by_period: dict[str, list[PublishedFigure]] = {}
    for row in rows:
        by_period.setdefault(row.period, []).append(row)
    found: dict[str, rules.Aggregate] = {}
    for key, figures in by_period.items():
        total = next((f for f in figures if f.group == ALL), None)
        if total is None:
            continue
        groups = [f for f in figures if f.group != ALL]
        found[key] = rules.Aggregate(
            total=_group_figures(total) if total.shown else None,
            groups=tuple(_group_figures(f) for f in groups if f.shown and total.shown),
            hidden=tuple(f.group for f in groups if not f.shown) if total.shown else (),
        )
    return found


def _group_figures(row: PublishedFigure) -> rules.GroupFigures:
    return rules.GroupFigures(
        group=row.group,
        people=row.people,
        answers=row.answers,
        average=row.average,
        low_answers=row.low_answers,
    )


def _months(db: Session, project: Project, now: datetime) -> list[disclosure.Period]:
    """The closed months of a project: from its start (or its first answer) to the month
    it closed in, or to the last month that has ended."""
    tz = _zone(project.timezone, "UTC")
    first = db.scalar(
        select(func.min(CheckinAnswer.asked_on)).where(CheckinAnswer.project_id == project.id)
    )
    since = zones.local_day(project.created_at, tz)
    if first is not None and first < since:
        since = first
    months = disclosure.closed_periods(since, now, tz)
    if project.closed_at is not None:
        last = disclosure.Period.of(zones.local_day(project.closed_at, tz))
        months = tuple(p for p in months if p <= last)
    return list(months)


def _publish(db: Session, project: Project, now: datetime) -> dict[str, rules.Aggregate]:
    """The project's published figures, first computing and storing those of any closed
    month not yet stored. Stored figures are never recomputed, whatever happens to the
    answers later (changes to old answers, forget me, retention)."""
    stored = _stored(db, project.id)
    if _setup(db, project.id) is None:
        return stored
    missing = [p for p in _months(db, project, now) if p.key not in stored]
    if not missing:
        return stored
    # one writer per project: a second reader waits here, then finds the months stored
    lock_project(db, project)
    stored = _stored(db, project.id)
    for period in missing:
        if period.key in stored:
            continue
        rows = db.execute(
            select(CheckinPerson.user_id, CheckinAnswer)
            .join(CheckinPerson, CheckinPerson.id == CheckinAnswer.person_id)
            .where(
                CheckinAnswer.project_id == project.id,
                CheckinAnswer.asked_on >= period.first_day,
                CheckinAnswer.asked_on < period.next().first_day,
            )
            .order_by(CheckinAnswer.answered_at, CheckinAnswer.id)
        ).all()
        figures = rules.aggregate(
            [rules.Answered(person=who, group=a.role, mood=_mood(a)) for who, a in rows]
        )
        _store(db, project.id, period.key, figures, now)
        stored[period.key] = figures
    db.flush()
    return stored


def _store(db: Session, project_id: int, key: str, figures: rules.Aggregate, now: datetime) -> None:
    def row(group: str, found: rules.GroupFigures | None) -> PublishedFigure:
        return PublishedFigure(
            project_id=project_id,
            period=key,
            group=group,
            shown=found is not None,
            people=found.people if found else 0,
            answers=found.answers if found else 0,
            average=found.average if found else 0.0,
            low_answers=found.low_answers if found else 0,
            computed_at=now,
        )

    db.add(row(ALL, figures.total))
    for group in figures.groups:
        db.add(row(group.group, group))
    for name in figures.hidden:
        db.add(row(name, None))


def _consent_asked(db: Session, person: CheckinPerson, current: int) -> bool:
    """Whether a consent request already went to the person (ask once, then wait)."""
    found = db.scalar(
        select(Delivery.id).where(
            Delivery.subject_type == SUBJECT,
            Delivery.subject_id == person.id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.id != current,
        )
    )
    return found is not None


def _prompt(
    delivery_id: int, project: Project, setup: CheckinSetup, person: CheckinPerson, *, consent: bool
) -> Prompt:
    return Prompt(
        delivery_id=delivery_id,
        project_name=project.name,
        consent=consent,
        contacts=tuple(setup.contacts or []),
        retention_days=setup.retention_days,
        time_of_day=person.time_of_day,
        days=_days_of(person),
        timezone=person.timezone or project.timezone,
    )


def _settings(
    project: Project, person: CheckinPerson | None, next_at: datetime | None
) -> PersonSettings:
    if person is None:
        return PersonSettings(
            **of_project(project),
            status="not_enrolled",
            time_of_day=rules.DEFAULT_TIME.strftime("%H:%M"),
            days=rules.DEFAULT_DAYS,
            after_sessions=False,
            paused_until=None,
            timezone=project.timezone,
            next_at=None,
        )
    return PersonSettings(
        **of_project(project),
        status=person.status,
        time_of_day=person.time_of_day,
        days=_days_of(person),
        after_sessions=person.after_sessions,
        paused_until=person.paused_until,
        timezone=person.timezone or project.timezone,
        next_at=next_at,
    )


def _setup_form(project: Project, setup: CheckinSetup) -> SetupForm:
    return SetupForm(
        **of_project(project),
        enabled=setup.enabled,
        roles=tuple(setup.roles or []),
        rhythm=setup.rhythm,
        support_text=setup.support_text,
        retention_days=setup.retention_days,
        contacts=tuple(setup.contacts or []),
    )


def _pause_error(until: date, today: date) -> str | None:
    if until <= today:
        return "Pick a day after today: check-ins start again on that day."
    if until - today > MAX_PAUSE:
        return "Pause for up to a year; you can always pause again."
    return None


def _check_pause(until: date, today: date, *, field: str) -> None:
    message = _pause_error(until, today)
    if message:
        raise InvalidFields({field: message})


def checkin_kinds(
    *,
    present: CheckinPresenter,
    service: Checkins,
    present_contact: ContactPresenter,
) -> Sequence[DeliveryKind]:
    """The delivery kinds check-ins use; the presenters turn them into Slack messages.

    Lateness is handled in the render (a late check-in is skipped and the next planned),
    so the ledger's own lateness policy never breaks the chain."""

    def render_checkin(session: Session, delivery: Delivery) -> OutgoingMessage | None:
        prompt = service.render_checkin(session, delivery)
        return present(prompt) if prompt is not None else None

    def render_contact(session: Session, delivery: Delivery) -> OutgoingMessage | None:
        note = service.render_contact(session, delivery)
        return present_contact(note) if note is not None else None

    return (
        DeliveryKind(name=CHECKIN, render=render_checkin, escalate=False, private=True),
        DeliveryKind(name=CONTACT, render=render_contact, private=True),
    )


def published_figures(db: Session, project: Project, now: datetime) -> tuple[PeriodFigures, ...]:
    """Every closed month's published figures, oldest first, inside the caller's transaction
    (the oversight digest renders them at send time): the very figures coordinators see,
    decided by cobot/domain/disclosure.py, never computed afresh."""
    if _setup(db, project.id) is None:
        return ()
    figures = _publish(db, project, now)
    return tuple(
        PeriodFigures(k, disclosure.Period.from_key(k).label, figures[k]) for k in sorted(figures)
    )
