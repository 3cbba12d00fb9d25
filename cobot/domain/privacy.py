"""The privacy registry's vocabulary: what personal data each feature keeps, whose, who sees
it, how long, and what erasure does with it (pure declarations; services act on them)."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import TypedDict


class Category(StrEnum):
    """What kind of personal data a column holds (the DPIA's categories)."""

    WELLBEING = "special category: health and wellbeing"
    FREE_TEXT = "free text the person wrote"
    CHOICE = "a choice from a fixed list"
    SETTING = "a personal setting"
    RECORD = "a record of taking part"


class Erasure(StrEnum):
    """What `forget me` does with a row that is the person's."""

    DELETE = "deleted"
    KEEP = "kept"


class Retention(StrEnum):
    """How long rows are kept."""

    # the one rule for every feature's answers: the project's retention setting after it closes
    PROJECT = "project"
    # the record of who took part stays with the project (never personal answers)
    WITH_PROJECT = "with_project"
    # payment records finance must keep by law (HMRC: 6 years from the end of the tax year)
    FINANCE = "finance"


@dataclass(frozen=True)
class Link:
    """One join step: this table's `column` refers to `table`.`key`."""

    column: str
    table: str
    key: str = "id"


@dataclass(frozen=True)
class Path:
    """A column, reached from a declared table through zero or more joins."""

    column: str
    via: tuple[Link, ...] = ()


# the paths most tables declare: the row's own person and project columns
PERSON = Path("user_id")
PROJECT = Path("project_id")
# a session's row: its session, and the project through the session
SESSION = Path("session_id")
BY_SESSION = Link("session_id", "project_sessions")
SESSION_PROJECT = Path("project_id", via=(BY_SESSION,))


@dataclass(frozen=True)
class Published:
    """Rows that feed a figure published once `table.column` is set for their project (the
    word cloud and results at an ending's close). Deleting one afterwards would change the
    figure, and the change would tell who it was; so erasure then unlinks the row from the
    person for good (a random stand-in for their id) and empties `blank`, the columns the
    figure does not use, and the rest stays counted. The marker row is the project's, or, with
    `link`, the one the row's own column refers to (a review answer's round: each round
    publishes at its own close); `off` are flags turned off (a choice to be named)."""

    table: str
    column: str
    blank: tuple[str, ...] = ()
    because: str = ""
    link: Link | None = None
    off: tuple[str, ...] = ()


# why a published row is unlinked rather than deleted, in the words `because` ends with
UNTRACEABLE = "they cannot be traced back to you, and taking them out would show which were yours"


@dataclass(frozen=True)
class Field:
    """One personal column of a declared table."""

    column: str
    category: Category
    label: str
    # stored as a JSON document: exported parsed
    json: bool = False


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """One table holding personal data, as its feature declares it (a feature's module
    states its name once: `declare = partial(Declaration, feature=FEATURE)`)."""

    feature: str
    table: str
    what: str
    # the Slack user id of the person whose data this is (who wrote or chose it)
    person: Path = PERSON
    # the project the row belongs to (retention and workspace scoping follow it)
    project: Path = PROJECT
    fields: tuple[Field, ...]
    seen_by: str
    # the session the row is about, when there is one (its title gives the export context)
    session: Path | None = None
    # plain columns exported for context (dates, status, role); never someone else's data
    context: tuple[str, ...] = ()
    retention: Retention = Retention.PROJECT
    erasure: Erasure = Erasure.DELETE
    kept_because: str = ""
    # someone else the row is written for or about (developmental feedback, an action's owner)
    recipient: Path | None = None
    recipient_label: str = ""
    # the recipient's export holds the row (it was theirs to see)
    recipient_sees: bool = False
    # the recipient's `forget me` deletes the row too; otherwise `recipient_kept_because`
    erased_for_recipient: bool = False
    recipient_kept_because: str = ""
    # deliveries ledger rows about a row (subject_type, subject_id = row id) go with it
    ledger_subject: str | None = None
    # once published, erasure unlinks the row instead of deleting it (see Published)
    published: Published | None = None
    # Retention.FINANCE: the date column after which the row may go (unset: it goes with the
    # project's other answers)
    kept_until: str = ""

    def columns(self) -> Iterator[str]:
        """The declared personal columns."""
        return (f.column for f in self.fields)


class Keeping(TypedDict):
    """How long a kind of row is kept and what erasure does with it, as one preset."""

    retention: Retention
    erasure: Erasure


# the record of taking part (a role, a place on a register, a plan's step): it stays with
# the project after `forget me`, and each declaration says why in `kept_because`
KEPT_WITH_PROJECT = Keeping(retention=Retention.WITH_PROJECT, erasure=Erasure.KEEP)


class Placing(TypedDict):
    """Where a kind of row belongs (its project and its session), as one preset."""

    project: Path
    session: Path


# a session's row (a debrief, a place on its list or register): the session it is about,
# and the project through the session
IN_SESSION = Placing(project=SESSION_PROJECT, session=SESSION)


@dataclass(frozen=True)
class NamedIn:
    """A coordinators' setting naming people by Slack id (a JSON list): a role someone holds,
    not their data, so erasure leaves it and tells them."""

    feature: str
    table: str
    column: str
    project: Path
    because: str


@dataclass(frozen=True)
class Registry:
    """Every feature's declarations, plus the free-text columns that are not personal data."""

    declarations: tuple[Declaration, ...]
    # "table.column" -> why it is not one person's personal data
    not_personal: Mapping[str, str] = field(default_factory=dict)
    # what stays after erasure whatever the person used, and why
    always_remains: tuple[str, ...] = ()
    # settings that name people in a role (wellbeing contacts)
    named_in: tuple[NamedIn, ...] = ()

    def declared(self) -> set[str]:
        """Every registered personal column, as "table.column"."""
        return {f"{d.table}.{c}" for d in self.declarations for c in d.columns()}

    def features(self) -> list[str]:
        """Feature names in declaration order."""
        seen: list[str] = []
        for d in self.declarations:
            if d.feature not in seen:
                seen.append(d.feature)
        return seen

    def of(self, feature: str) -> list[Declaration]:
        """One feature's declarations."""
        return [d for d in self.declarations if d.feature == feature]


def retention_text(retention: Retention) -> str:
    """How long, in words."""
    if retention is Retention.PROJECT:
        return (
            "while the project runs. It is deleted a set number of days after the project "
            "closes (90, unless a coordinator changes it in `/cobot checkin setup`)"
        )
    if retention is Retention.FINANCE:
        return (
            "6 years from the end of the UK tax year (5 April) in which the claim was "
            "confirmed, as HMRC requires of payment records, even after `forget me`: the "
            "amounts and who they were paid to, never anything you wrote"
        )
    return "as long as the project's record is kept (who took part, never what anyone said)"
