"""The participants' review of the output: the answers, the outcome, the rules of a round.

The case study's draft "was submitted to the Participants for review, amendment and approval;
neither the Steering Group nor OSG had influence over content". A round asks the project's
participants (only) for one of three answers, which they may change until the deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlsplit

from cobot.domain.text import TypedText
from cobot.domain.vocabulary import Labelled

MAX_URL = 500
MAX_NOTE = 1000
MAX_TEXT = 3000
# the one reminder goes this long before the deadline (or halfway, for a short round)
REMIND_BEFORE = timedelta(days=2)
# a round lasts at most this long
MAX_DAYS = 90


class Choice(Labelled):
    """What a participant answers."""

    APPROVE = "approve", "I approve"
    CHANGES = "changes", "I approve with changes"
    NOT_YET = "not_yet", "Not yet"

    @property
    def needs_text(self) -> bool:
        """Whether the answer must say what (the changes, or why not yet)."""
        return self is not Choice.APPROVE


class Outcome(Labelled):
    """What a closed round came to."""

    APPROVED = "approved", "approved"
    APPROVED_WITH_CHANGES = "approved_with_changes", "approved with changes"
    NOT_YET = "not_yet_approved", "not yet approved"
    NO_ANSWERS = "no_answers", "no answers"


@dataclass(frozen=True)
class Tally:
    """How many chose each answer."""

    approve: int = 0
    changes: int = 0
    not_yet: int = 0

    @property
    def answered(self) -> int:
        """Everyone who answered."""
        return self.approve + self.changes + self.not_yet

    @property
    def outcome(self) -> Outcome:
        """Approved only when nobody said not yet; with changes when anyone asked for some."""
        return outcome(self)


def tally(choices: Iterable[Choice]) -> Tally:
    """Count the answers."""
    found = list(choices)
    return Tally(
        approve=found.count(Choice.APPROVE),
        changes=found.count(Choice.CHANGES),
        not_yet=found.count(Choice.NOT_YET),
    )


def outcome(counted: Tally) -> Outcome:
    """A draft is approved when at least one participant answered and none said not yet: a
    participant's "not yet" is never outvoted (the participants sign off the content)."""
    if counted.answered == 0:
        return Outcome.NO_ANSWERS
    if counted.not_yet:
        return Outcome.NOT_YET
    if counted.changes:
        return Outcome.APPROVED_WITH_CHANGES
    return Outcome.APPROVED


def check_url(raw: str) -> str | None:
    """Why `raw` is not a link to a draft people can open, or None when it is."""
    problem = TypedText(MAX_URL, "the link", "Paste the link to the draft.").problem(raw)
    if problem is not None:
        return problem
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in text:
        return "That is not a web link: paste one starting with https://"
    if any(c in text for c in "<>|"):
        return "That link has characters Slack cannot show (<, > or |)."
    return None


def check_deadline(deadline: date | None, today: date) -> str | None:
    """Why the deadline cannot be used, or None."""
    if deadline is None:
        return "Pick the day the review closes."
    if deadline <= today:
        return "Pick a day in the future: participants need time to read the draft."
    if deadline > today + timedelta(days=MAX_DAYS):
        return f"Pick a day within {MAX_DAYS} days."
    return None


def reminder_at(*, now: datetime, deadline: datetime) -> datetime:
    """When the one reminder goes: two days before the deadline, or halfway for a short round."""
    return max(deadline - REMIND_BEFORE, now + (deadline - now) / 2)


def check_text(choice: Choice, text: str) -> str | None:
    """Why an answer's words cannot be saved, or None (counted trimmed, as they are kept)."""
    if not choice.needs_text:
        blank = ""
    elif choice is Choice.CHANGES:
        blank = "Say which changes you ask for."
    else:
        blank = "Say what would need to change before you can approve it."
    return TypedText(MAX_TEXT, "it", blank).problem(text)


__all__ = [
    "Choice",
    "Outcome",
    "Tally",
    "check_deadline",
    "check_text",
    "check_url",
    "outcome",
    "reminder_at",
    "tally",
]
