"""Forms and views that several features show for one project, built on ForProject."""

from __future__ import annotations

from dataclasses import dataclass

from cobot.services.base import ForProject


@dataclass(frozen=True)
class ForProjectInZone(ForProject):
    """A form or view for one project that shows times: the project's time zone as well."""

    timezone: str


@dataclass(frozen=True)
class QuestionsForm(ForProject):
    """A project's questions (its debrief's or its evaluation's), for a coordinator to
    reword; keys are the feature's question keys."""

    questions: dict[str, str]
