"""Who is who in a co-production project."""

from __future__ import annotations

from cobot.domain.vocabulary import Labelled


class Role(Labelled):
    """A person's role in one project."""

    COORDINATOR = "coordinator", "Coordinators"
    PRACTITIONER = "practitioner", "Practitioners (facilitators)"
    PARTICIPANT = "participant", "Participants"
    PROJECT_TEAM = "project_team", "Project team (admin and support)"
    STEERING = "steering", "Steering group"
    OVERSIGHT = "oversight", "Oversight group"


# what people type after "as", singular or plural, with common variants
ROLE_WORDS = {
    "coordinator": Role.COORDINATOR,
    "co-ordinator": Role.COORDINATOR,
    "coordinators": Role.COORDINATOR,
    "lead": Role.COORDINATOR,
    "practitioner": Role.PRACTITIONER,
    "practitioners": Role.PRACTITIONER,
    "facilitator": Role.PRACTITIONER,
    "facilitators": Role.PRACTITIONER,
    "participant": Role.PARTICIPANT,
    "participants": Role.PARTICIPANT,
    "team": Role.PROJECT_TEAM,
    "project-team": Role.PROJECT_TEAM,
    "project_team": Role.PROJECT_TEAM,
    "admin": Role.PROJECT_TEAM,
    "support": Role.PROJECT_TEAM,
    "steering": Role.STEERING,
    "steering-group": Role.STEERING,
    "oversight": Role.OVERSIGHT,
    "oversight-group": Role.OVERSIGHT,
}


def parse_role(word: str) -> Role | None:
    """The role a typed word means, or None."""
    return ROLE_WORDS.get(word.strip().lower())
