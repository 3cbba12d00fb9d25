"""Live calendars: private, revocable iCalendar feed URLs that calendar apps subscribe to.

`/cobot calendar subscribe` gives a person a feed of their own sessions in the project and
the deadlines of the work between them (a coordinator also gets the whole project's feed),
sent as a DM through the ledger. The URL's secret is derived from a stored nonce with the
encryption key and never stored itself: only its SHA-256, which is what a request is looked
up by (so the lookup compares hashes, not secrets), and a wrong or revoked one is a 404.

What a feed shows comes from FEED_SOURCES: each source is one function from the feed's
query (its project, whose feed it is, the sessions in its window, their sequences) to
CalendarEntry values. Adding another kind of entry (a project's milestones, say) is one
more such function added to the tuple, or passed to Feeds(sources=...).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain.roles import Role
from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.domain.sessions import SessionKind
from cobot.domain.sessions import SessionRole
from cobot.domain.sessions import SessionStatus
from cobot.services import access
from cobot.services import deliveries
from cobot.services.access import AccessError
from cobot.services.base import Service
from cobot.services.deadlines import Deadlines
from cobot.services.deliveries import DeliveryKind
from cobot.services.ical import CalendarEntry
from cobot.services.ical import calendar_document
from cobot.services.ical import session_entry
from cobot.services.ports import Clock
from cobot.services.ports import OutgoingMessage
from cobot.services.session_queries import sessions_with_people
from cobot.storage import crypto
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import CalendarFeed
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Project
from cobot.storage.models import SessionSequence
from cobot.storage.models.feeds import FEED_SUBJECT

FEED_KIND = "calendar_feed"
TOKEN_PURPOSE = "cobot-calendar-feed"
# 32 bytes of HMAC, URL-safe base64 without padding
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
FEED_PATH = "/calendar/"
FEED_SUFFIX = ".ics"
# what a feed shows of the past (cancelled sessions included, so calendars drop them)
PAST_WINDOW = timedelta(days=90)
# asks calendar apps to look again this often (Google keeps to its own schedule)
REFRESH = timedelta(hours=1)
# a deadline shows as the half hour before it, free time (not busy)
DEADLINE_SPAN = timedelta(minutes=30)
AGENDA_TASK = "Share the agenda and materials with the participants by the end of this slot."
NOTES_TASK = "Post the notes of the session by the end of this slot."


class FeedScope(StrEnum):
    """Whose sessions a feed shows."""

    PERSON = "person"
    PROJECT = "project"


class NoPublicAddress(AccessError):
    """COBOT_PUBLIC_URL is unset: calendar apps would have nowhere to fetch a feed from."""

    def __init__(self) -> None:
        super().__init__(
            "Calendar links aren't switched on here: cobot needs its public web address "
            "(COBOT_PUBLIC_URL). Ask whoever runs cobot. `/cobot calendar` still posts a file."
        )


@dataclass(frozen=True)
class Subscribed:
    """Links are on their way by DM."""

    project_name: str
    scopes: tuple[FeedScope, ...]


@dataclass(frozen=True)
class FeedNote:
    """What the DM with a link says."""

    scope: FeedScope
    project_name: str
    url: str


@dataclass(frozen=True)
class FeedDocument:
    """A feed as served: the iCalendar bytes and their entity tag."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class FeedQuery:
    """What every source gets: the project, whose feed (None: the whole project's), the
    project's sessions in the feed's window (people loaded) and their sequences."""

    project: Project
    user_id: str | None
    sessions: Sequence[CoSession]
    sequences: Mapping[int, int]
    now: datetime

    def sequence(self, session_id: int) -> int:
        """The session's SEQUENCE: how many times it changed."""
        return self.sequences.get(session_id, 0)

    def involves(self, cosession: CoSession, *roles: str) -> bool:
        """Whether the feed shows this session: the project's feed shows all; a person's
        those they have one of `roles` in (any role when none is named)."""
        if self.user_id is None:
            return True
        return any(
            p.user_id == self.user_id and (not roles or p.role in roles) for p in cosession.people
        )


FeedSource = Callable[[Session, FeedQuery], Iterable[CalendarEntry]]


def session_entries(db: Session, query: FeedQuery) -> Iterable[CalendarEntry]:  # noqa: ARG001
    """Each session the feed's person is in (every session, in the project's feed)."""
    team = query.project.team_id
    for row in query.sessions:
        if query.involves(row):
            yield session_entry(row, team, sequence=query.sequence(row.id), stamp=row.updated_at)


def deadline_entries(db: Session, query: FeedQuery) -> Iterable[CalendarEntry]:  # noqa: ARG001
    """The work between workshops, when it is due (the times the reminders use): the
    agenda and materials, for the session's facilitators; the notes, for the project team
    (coordinators, when there is no team)."""
    project = query.project
    deadlines = Deadlines.of(project)
    notes_mine = query.user_id is None or query.user_id in access.team_or_coordinators(project)
    for row in query.sessions:
        if row.kind != SessionKind.WORKSHOP:
            continue
        due: list[tuple[str, datetime, str, str]] = []
        if query.involves(row, SessionRole.FACILITATOR):
            due.append(("agenda", deadlines.agenda(row), f"Agenda due: {row.title}", AGENDA_TASK))
        if notes_mine:
            due.append(("notes", deadlines.notes(row), f"Notes due: {row.title}", NOTES_TASK))
        for what, deadline, summary, todo in due:
            yield CalendarEntry(
                uid=f"cobot-{what}-due-{row.id}@{project.team_id}",
                starts_at=deadline - DEADLINE_SPAN,
                ends_at=deadline,
                summary=summary,
                description=todo,
                sequence=query.sequence(row.id),
                cancelled=row.status == SessionStatus.CANCELLED,
                transparent=True,
                stamp=row.updated_at,
            )


FEED_SOURCES: tuple[FeedSource, ...] = (session_entries, deadline_entries)


def token_hash(token: str) -> str:
    """What is stored of a feed's secret."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_url(public_url: str, token: str) -> str:
    """The URL calendar apps subscribe to."""
    return f"{public_url}{FEED_PATH}{token}{FEED_SUFFIX}"


def feed_token(row: CalendarFeed) -> str | None:
    """The feed's secret, derived again from its nonce: the one configured key whose
    derivation hashes to what is stored (none, once its key has been retired)."""
    for candidate in crypto.derived_secrets(TOKEN_PURPOSE, row.nonce):
        if hmac.compare_digest(token_hash(candidate), row.token_hash):
            return candidate
    return None


def on_session_changed(db: Session, event: SessionChanged, now: datetime) -> None:
    """Every change after the first version raises the session's SEQUENCE by one (inside
    the transaction that changed it), so subscribed calendars take the new version."""
    if event.change == SessionChange.ADDED:
        return
    row = db.get(SessionSequence, event.session_id)
    if row is None:
        try:
            with db.begin_nested():
                db.add(SessionSequence(session_id=event.session_id, sequence=1, updated_at=now))
                db.flush()
            return
        except IntegrityError:  # another transaction counted its first change meanwhile
            row = db.get(SessionSequence, event.session_id, populate_existing=True)
            assert row is not None
    row.sequence += 1
    row.updated_at = now


class Feeds(Service):
    """Subscribe, revoke, and serve feeds."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        public_url: str | None,
        sources: Sequence[FeedSource] = FEED_SOURCES,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._public_url = public_url
        self._sources = tuple(sources)

    def subscribe(self, *, team_id: str, channel_id: str, user_id: str) -> Subscribed:
        """New links for this person in this channel's project (the old ones stop working),
        sent by DM; a coordinator gets the project's feed too."""
        if self._public_url is None:
            raise NoPublicAddress()
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            role = access.require_member(
                project,
                user_id,
                "Calendar links are for the people in this project; ask a coordinator "
                "to add you first.",
            )
            _revoke(db, project_id=project.id, user_id=user_id, now=now)
            scopes = [FeedScope.PERSON]
            if role is Role.COORDINATOR:
                scopes.append(FeedScope.PROJECT)
            for scope in scopes:
                feed = _new_feed(db, project=project, user_id=user_id, scope=scope, now=now)
                deliveries.schedule(
                    db,
                    key=f"{FEED_KIND}:{feed.id}",
                    kind=FEED_KIND,
                    target=user_id,
                    due_at=now,
                    now=now,
                    project_id=project.id,
                    subject=(FEED_SUBJECT, feed.id),
                    payload={"feed_id": feed.id},
                )
            return Subscribed(project_name=project.name, scopes=tuple(scopes))

    def revoke(self, *, team_id: str, channel_id: str, user_id: str) -> int:
        """Stop this person's links for this channel's project working; how many."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            project = access.project_in_channel(db, team_id=team_id, channel_id=channel_id)
            return _revoke(db, project_id=project.id, user_id=user_id, now=now)

    def document(self, token: str) -> FeedDocument | None:
        """The feed whose secret is `token`, as it is now; None (a 404) for a malformed,
        unknown or revoked secret, a closed project, or a project feed whose owner is no
        longer a coordinator."""
        if not TOKEN_SHAPE.fullmatch(token):
            return None
        wanted = token_hash(token)
        now = self._clock.now()
        with read_only(self._factory) as db:
            feed = db.scalar(
                select(CalendarFeed).where(
                    CalendarFeed.token_hash == wanted, CalendarFeed.revoked_at.is_(None)
                )
            )
            if feed is None or not hmac.compare_digest(feed.token_hash, wanted):
                return None
            project = db.get(Project, feed.project_id)
            if project is None or project.team_id != feed.team_id:
                return None
            try:
                project = access.project_by_id(db, team_id=feed.team_id, project_id=project.id)
            except AccessError:
                return None
            role = access.role_of(project, feed.user_id)
            if role is None or (feed.scope == FeedScope.PROJECT and role is not Role.COORDINATOR):
                return None
            body = self._build(db, project, feed, now=now)
        return FeedDocument(body=body, etag=hashlib.sha256(body).hexdigest()[:32])

    def _build(self, db: Session, project: Project, feed: CalendarFeed, *, now: datetime) -> bytes:
        rows = sessions_with_people(
            db, CoSession.project_id == project.id, CoSession.ends_at > now - PAST_WINDOW
        )
        ids = [r.id for r in rows]
        sequences = {
            s.session_id: s.sequence
            for s in db.scalars(select(SessionSequence).where(SessionSequence.session_id.in_(ids)))
        }
        query = FeedQuery(
            project=project,
            user_id=feed.user_id if feed.scope == FeedScope.PERSON else None,
            sessions=rows,
            sequences=sequences,
            now=now,
        )
        entries = [entry for source in self._sources for entry in source(db, query)]
        name = project.name if query.user_id is None else f"{project.name} (my sessions)"
        return calendar_document(name, entries, now=now, refresh=REFRESH)


def _new_feed(
    db: Session, *, project: Project, user_id: str, scope: FeedScope, now: datetime
) -> CalendarFeed:
    nonce = secrets.token_urlsafe(24)
    token = crypto.derived_secrets(TOKEN_PURPOSE, nonce)[0]
    feed = CalendarFeed(
        token_hash=token_hash(token),
        nonce=nonce,
        team_id=project.team_id,
        user_id=user_id,
        project_id=project.id,
        scope=scope,
        created_at=now,
    )
    db.add(feed)
    db.flush()
    return feed


def _revoke(db: Session, *, project_id: int, user_id: str, now: datetime) -> int:
    result = db.execute(
        update(CalendarFeed)
        .where(
            CalendarFeed.project_id == project_id,
            CalendarFeed.user_id == user_id,
            CalendarFeed.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def feed_kinds(
    *, present: Callable[[FeedNote], OutgoingMessage], public_url: str | None
) -> tuple[DeliveryKind, ...]:
    """The DM with a link, rendered at send time from the feed's row (the secret is
    derived then: it is in no job, payload or log)."""

    def render(session: Session, delivery: Delivery) -> OutgoingMessage | None:
        feed = session.get(CalendarFeed, int(delivery.payload.get("feed_id", 0)))
        if feed is None or feed.revoked_at is not None or public_url is None:
            return None
        project = session.get(Project, feed.project_id)
        token = feed_token(feed)
        if project is None or token is None:
            return None
        return present(
            FeedNote(
                scope=FeedScope(feed.scope),
                project_name=project.name,
                url=feed_url(public_url, token),
            )
        )

    return (DeliveryKind(name=FEED_KIND, render=render),)
