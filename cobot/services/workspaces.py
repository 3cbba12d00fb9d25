"""The workspaces cobot is installed in (OAuth): installed, seen, uninstalled.

Uninstalling cobot, or revoking its bot token, stops that workspace's deliveries (the ledger
cancels what is owed there, and skips anything planned later) and starts its retention clock
(privacy.purge_expired treats its projects as closed from then). Installing again restarts
sending and stops the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.services import deliveries
from cobot.services.base import Service
from cobot.storage.db import transaction
from cobot.storage.models import Member
from cobot.storage.models import Project
from cobot.storage.models import Workspace

log = logging.getLogger(__name__)


class StopReason(StrEnum):
    """Why a workspace takes no more messages (Slack's event names)."""

    UNINSTALLED = "app_uninstalled"
    TOKENS_REVOKED = "tokens_revoked"


@dataclass(frozen=True)
class Route:
    """Where a workspace's token comes from: its own install, or its organisation's."""

    team_id: str
    enterprise_id: str | None
    org_install: bool


class Workspaces(Service):
    """Installed workspaces, as the OAuth flow, the events and the ledger see them."""

    def installed(self, *, team_ids: Sequence[str], enterprise_id: str | None, org: bool) -> None:
        """An installation was saved: these workspaces take messages again."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            for team_id in team_ids:
                row = _noted(db, team_id, enterprise_id=enterprise_id, org=org, now=now)
                row.enterprise_id, row.org_install = enterprise_id, org
                row.installed_at = now
                row.uninstalled_at = None
                row.stopped_because = None

    def seen(self, *, team_id: str, enterprise_id: str | None, org: bool) -> None:
        """A request arrived from `team_id`: note it (once) when an org-wide install covers
        it, so its deliveries find the organisation's token."""
        with transaction(self._factory) as db:
            _noted(db, team_id, enterprise_id=enterprise_id, org=org, now=self._clock.now())

    def org_teams(self, enterprise_id: str) -> list[str]:
        """The workspaces already seen under an organisation's org-wide install."""
        with transaction(self._factory) as db:
            rows = db.scalars(
                select(Workspace.team_id).where(
                    Workspace.enterprise_id == enterprise_id, Workspace.org_install.is_(True)
                )
            )
            return [str(t) for t in rows]

    def route(self, team_id: str) -> Route | None:
        """Whose install serves `team_id` (None: not installed, or uninstalled)."""
        with transaction(self._factory) as db:
            row = db.get(Workspace, team_id)
            if row is None or row.uninstalled_at is not None:
                return None
            return Route(
                team_id=row.team_id, enterprise_id=row.enterprise_id, org_install=row.org_install
            )

    def stop(
        self,
        *,
        team_id: str | None,
        enterprise_id: str | None,
        org: bool,
        reason: StopReason,
    ) -> list[str]:
        """cobot was uninstalled (or its token revoked) in a workspace, or in a whole
        organisation: cancel what is owed there and start the retention clock. Returns the
        workspaces stopped."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            query = select(Workspace)
            if org and enterprise_id is not None:
                query = query.where(
                    Workspace.enterprise_id == enterprise_id, Workspace.org_install.is_(True)
                )
            elif team_id is not None:
                query = query.where(Workspace.team_id == team_id)
            else:
                return []
            rows = list(db.scalars(query))
            if team_id is not None and not org and not rows:
                # installed before workspaces were recorded (or with one token): note it now
                row = Workspace(
                    team_id=team_id,
                    enterprise_id=enterprise_id,
                    org_install=False,
                    installed_at=now,
                )
                db.add(row)
                rows = [row]
            for row in rows:
                if row.uninstalled_at is None:
                    row.uninstalled_at = now
                row.stopped_because = reason.value
            teams = [row.team_id for row in rows]
            cancelled = deliveries.stop_workspaces(db, team_ids=teams, reason=reason.value, now=now)
        log.info(
            "cobot was removed from %d workspace(s) (%s): %d deliveries cancelled",
            len(teams),
            reason.value,
            cancelled,
        )
        return teams

    def team_of(self, user_id: str) -> str | None:
        """The workspace a person belongs to, from the projects they are in."""
        with transaction(self._factory) as db:
            found = db.scalar(
                select(Project.team_id)
                .join(Member, Member.project_id == Project.id)
                .where(Member.user_id == user_id)
                .order_by(Project.id.desc())
                .limit(1)
            )
            if found is None:
                found = db.scalar(
                    select(Project.team_id)
                    .where(Project.created_by == user_id)
                    .order_by(Project.id.desc())
                    .limit(1)
                )
        return None if found is None else str(found)


def _noted(
    db: Session, team_id: str, *, enterprise_id: str | None, org: bool, now: datetime
) -> Workspace:
    """The workspace's row, added if new, with whose install serves it brought up to date
    (an uninstalled one stays as it is until installed again)."""
    row = db.get(Workspace, team_id)
    if row is None:
        row = Workspace(
            team_id=team_id, enterprise_id=enterprise_id, org_install=org, installed_at=now
        )
        db.add(row)
    elif row.uninstalled_at is None:
        row.enterprise_id = enterprise_id
        row.org_install = org
    return row
