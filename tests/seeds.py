"""Rows a test starts from: a project with its members, a session planned as sessions plan one.

Sessions' own rules refuse a start in the past, so tests that need a session that has already
begun (or ends in a second) make the row here and plan it the way the service does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.orm import Session

from cobot.domain.sessions import SessionChange
from cobot.domain.sessions import SessionChanged
from cobot.services import session_changes
from cobot.storage.models import CoSession
from cobot.storage.models import Member
from cobot.storage.models import Project
from cobot.storage.models import SessionPerson

TEAM = "T0SANDBOX"


def add_project(
    db: Session,
    *,
    channel_id: str,
    members: Iterable[tuple[str, str]],
    now: datetime,
    name: str = "Recovery framework",
    aims: str = "",
    timezone: str = "UTC",
    lead_times: dict[str, int] | None = None,
    onboarded: Iterable[str] = (),
    team_id: str = TEAM,
) -> Project:
    """A project with `members` (user, role) added by UCOORD; `onboarded` have done all three
    onboarding steps. Flushed, so it has its id."""
    done = set(onboarded)
    project = Project(
        team_id=team_id,
        channel_id=channel_id,
        name=name,
        aims=aims,
        timezone=timezone,
        lead_times=lead_times or {},
        created_by="UCOORD",
        created_at=now,
        updated_at=now,
    )
    for user, role in members:
        member = Member(user_id=user, role=role, added_by="UCOORD", added_at=now)
        if user in done:
            member.briefing_done_at = member.training_done_at = now
            member.access_needs_done_at = now
        project.members.append(member)
    db.add(project)
    db.flush()
    return project


def add_session(
    db: Session,
    project: Project,
    *,
    starts_at: datetime,
    ends_at: datetime,
    people: Iterable[tuple[str, str]],
    now: datetime,
    title: str = "Our values",
    kind: str = "workshop",
    venue: str = "",
    objectives: str = "",
) -> CoSession:
    """A scheduled session of `project` with `people` (user, role), planned as Sessions plans
    one: the session-changed fan-out re-plans its reminders and debrief prompts."""
    row = CoSession(
        project_id=project.id,
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        objectives=objectives,
        status="scheduled",
        revision=1,
        created_by="UCOORD",
        created_at=now,
        updated_at=now,
    )
    row.people = [SessionPerson(user_id=user, role=role) for user, role in people]
    db.add(row)
    db.flush()
    session_changes.standard().publish(db, SessionChanged(row.id, SessionChange.ADDED), now=now)
    return row


def installation(
    token: str, *, team_id: str | None = None, enterprise_id: str | None = None
) -> Installation:
    """cobot's installation (OAuth) in one workspace, or org-wide in `enterprise_id`'s
    organisation when no `team_id` is given."""
    return Installation(
        app_id="A0SANDBOX",
        enterprise_id=enterprise_id,
        enterprise_name="Grid" if enterprise_id else None,
        team_id=team_id,
        team_name=f"Team {team_id}" if team_id else None,
        bot_token=token,
        bot_id="B0COBOT",
        bot_user_id="U0COBOT",
        bot_scopes="chat:write,commands",
        user_id="UADMIN",
        is_enterprise_install=team_id is None,
    )
