"""Forms and views that several features show for one project, built on ForProject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from cobot.services.base import ForProject
from cobot.storage.models import Project


class ProjectFields(TypedDict):
    """ForProject's fields, as a project row gives them."""

    project_id: int
    project_name: str


class ProjectInZoneFields(ProjectFields):
    """ForProjectInZone's fields, as a project row gives them."""

    timezone: str


def of_project(project: Project) -> ProjectFields:
    """What a ForProject form or view says of `project`: `View(**of_project(project), ...)`."""
    return {"project_id": project.id, "project_name": project.name}


def of_project_in_zone(project: Project) -> ProjectInZoneFields:
    """What a ForProjectInZone form or view says of `project`."""
    return {**of_project(project), "timezone": project.timezone}


@dataclass(frozen=True)
class ForProjectInZone(ForProject):
    """A form or view for one project that shows times: the project's time zone as well."""

    timezone: str


@dataclass(frozen=True)
class QuestionsForm(ForProject):
    """A project's questions (its debrief's or its evaluation's), for a coordinator to
    reword; keys are the feature's question keys."""

    questions: dict[str, str]
