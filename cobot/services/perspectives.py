"""Voices in the room: each member's perspectives (their own, encrypted), the project's mix
(counts only, see cobot/domain/perspectives.py), and the warning for a session missing lived
experience or clinicians."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobot.domain import perspectives as rules
from cobot.domain.perspectives import Perspective
from cobot.domain.perspectives import Shown
from cobot.domain.sessions import Problem
from cobot.services import access
from cobot.services.access import ProjectAsks
from cobot.services.base import ForProject
from cobot.services.base import Service
from cobot.services.project_views import of_project
from cobot.storage.db import read_only
from cobot.storage.db import transaction
from cobot.storage.models import MemberPerspectives
from cobot.storage.models import Project


@dataclass(frozen=True)
class Mix:
    """What anyone in the project may see of its perspectives: counts, never who."""

    members: int
    shown: tuple[Shown, ...]
    # the essential perspectives (lived experience, clinician) nobody declared
    missing: tuple[Perspective, ...]
    # the perspectives nobody declared at all
    absent: tuple[Perspective, ...]


@dataclass(frozen=True)
class PerspectivesForm(ForProject):
    """The form for one member: their own choices and the project's mix."""

    mine: frozenset[Perspective]
    mix: Mix


@dataclass(frozen=True)
class PerspectivesSaved:
    """What was saved for the person."""

    project_name: str
    chosen: frozenset[Perspective]


def _decode(raw: str) -> frozenset[Perspective]:
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return frozenset()
    return rules.parse(str(v) for v in found) if isinstance(found, list) else frozenset()


def declared(db: Session, project_id: int) -> dict[str, frozenset[Perspective]]:
    """Each member's declared perspectives (decrypted here, never shown as they are)."""
    return {
        row.user_id: _decode(row.chosen)
        for row in db.scalars(
            select(MemberPerspectives).where(MemberPerspectives.project_id == project_id)
        )
    }


def mix(db: Session, project: Project) -> Mix:
    """The project's mix among its current members."""
    members = {m.user_id for m in project.members}
    counts: Counter[Perspective] = Counter()
    for user, chosen in declared(db, project.id).items():
        if user in members:
            counts.update(chosen)
    present = [p for p, n in counts.items() if n > 0]
    return Mix(
        members=len(members),
        shown=rules.mix(counts, len(members)),
        missing=rules.missing(present),
        absent=tuple(p for p in Perspective if counts.get(p, 0) == 0),
    )


def session_warnings(db: Session, project_id: int, people: Iterable[str]) -> list[Problem]:
    """The warning for a session whose people include nobody who declared lived experience,
    or no clinician. It says only that nobody here declared it, never who did."""
    chosen = declared(db, project_id)
    if not chosen:
        # nobody in the project has said anything yet: the warning would come with every
        # session and mean nothing; the coordinator's Home asks them to invite members to say
        return []
    present: set[Perspective] = set()
    for user in set(people):
        present |= chosen.get(user, frozenset())
    absent = rules.missing(present)
    return [Problem("perspectives", rules.warning_text(absent))] if absent else []


class Perspectives(Service):
    """A member's perspectives form and its save; each call one transaction."""

    def form(self, **asks: Unpack[ProjectAsks]) -> PerspectivesForm:
        """The form for a member of the channel's project (or the project by id, from Home)."""
        with read_only(self._factory) as db:
            project = _member_project(db, **asks)
            return PerspectivesForm(
                **of_project(project),
                mine=declared(db, project.id).get(asks["user_id"], frozenset()),
                mix=mix(db, project),
            )

    def save(
        self, *, team_id: str, user_id: str, project_id: int, chosen: Sequence[str]
    ) -> PerspectivesSaved:
        """Replace the person's perspectives; none ticked deletes what they had said."""
        now = self._clock.now()
        picked = rules.parse(chosen)
        with transaction(self._factory) as db:
            project = _member_project(db, team_id=team_id, user_id=user_id, project_id=project_id)
            row = db.scalar(
                select(MemberPerspectives).where(
                    MemberPerspectives.project_id == project.id,
                    MemberPerspectives.user_id == user_id,
                )
            )
            if not picked:
                if row is not None:
                    db.delete(row)
            else:
                text = json.dumps(sorted(p.value for p in picked))
                if row is None:
                    db.add(
                        MemberPerspectives(
                            project_id=project.id, user_id=user_id, chosen=text, updated_at=now
                        )
                    )
                else:
                    row.chosen = text
                    row.updated_at = now
            return PerspectivesSaved(project_name=project.name, chosen=picked)


def _member_project(db: Session, **asks: Unpack[ProjectAsks]) -> Project:
    project = access.project_by_channel_or_id(
        db,
        team_id=asks["team_id"],
        channel_id=asks.get("channel_id") or "",
        project_id=asks.get("project_id"),
    )
    access.require_member(
        project,
        asks["user_id"],
        f"You are not a member of “{project.name}”; a coordinator can add you with `/cobot add`.",
    )
    return project


__all__ = [
    "Mix",
    "Perspectives",
    "PerspectivesForm",
    "PerspectivesSaved",
    "declared",
    "mix",
    "session_warnings",
]
