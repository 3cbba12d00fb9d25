"""Voices in the room: the perspectives members say they bring, and what may be shown of them.

Co-production in mental health without people with lived experience, or without clinicians,
is not co-production. Each member may say (optional, self-chosen, several allowed, changeable)
which perspectives they bring; "lived experience" reveals health, so every choice is kept as
special-category data and only ever shown as counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from cobot.domain.disclosure import MIN_OTHERS
from cobot.domain.vocabulary import Labelled
from cobot.domain.vocabulary import labels


class Perspective(Labelled):
    """A perspective someone brings."""

    LIVED_EXPERIENCE = "lived_experience", "Lived experience of mental health problems"
    CARER = "carer", "Family member or carer"
    CLINICIAN = "clinician", "Clinician"
    PRACTITIONER = "practitioner", "Other practitioner"
    COMMISSIONER = "commissioner", "Commissioner"
    VOLUNTARY = "voluntary", "Voluntary sector"


LABELS = labels(Perspective)

# a session without these gets a warning when it is scheduled
ESSENTIAL = (Perspective.LIVED_EXPERIENCE, Perspective.CLINICIAN)

# the smallest count shown as a number
MIN_SHOWN = MIN_OTHERS


def parse(values: Iterable[str]) -> frozenset[Perspective]:
    """The perspectives among `values`; anything else (a forged value) is dropped."""
    known = {p.value: p for p in Perspective}
    return frozenset(known[v] for v in values if v in known)


@dataclass(frozen=True)
class Shown:
    """What is shown of one perspective's count: `count` when it may be shown as a number,
    else whether anyone declared it (`some`: 1 or 2 people, or too close to everyone)."""

    perspective: Perspective
    count: int | None
    some: bool

    @property
    def words(self) -> str:
        """The count in words."""
        if self.count is not None:
            return str(self.count)
        if not self.some:
            return "none declared"
        return f"fewer than {MIN_SHOWN}" if self.few else f"{MIN_SHOWN} or more"

    # set when the hidden count is below MIN_SHOWN (else it is hidden as "or more")
    few: bool = True


def mix(counts: Mapping[Perspective, int], members: int) -> tuple[Shown, ...]:
    """What may be shown of each perspective's count among `members` people.

    What a viewer (a member, maybe a coordinator who declared the same) could learn: a
    count of n names nobody, but n of 1 or 2 among people the viewer knows comes close to
    naming them, and n equal to (or within 2 of) everyone says nearly every member declared
    it, which is about each of them. So a number is shown only with at least MIN_SHOWN people
    on both sides (MIN_SHOWN <= n <= members - MIN_SHOWN); otherwise "fewer than 3" or
    "3 or more". Zero is shown as "none declared": that a perspective is missing from the
    project is what coordinators need to see, and it says nothing about anyone. Counts are of
    the current members, so they move when people join or change their answer; a viewer who
    watches them around one person's change can learn that person's answer only when the
    count stays a number, which needs 3 others either side of it.
    """
    shown = []
    for perspective in Perspective:
        n = counts.get(perspective, 0)
        if MIN_SHOWN <= n <= members - MIN_SHOWN:
            shown.append(Shown(perspective, n, True))
        else:
            shown.append(Shown(perspective, None, n > 0, few=n < MIN_SHOWN))
    return tuple(shown)


def missing(present: Iterable[Perspective]) -> tuple[Perspective, ...]:
    """The essential perspectives nobody among these people declared."""
    have = set(present)
    return tuple(p for p in ESSENTIAL if p not in have)


def warning_text(absent: Iterable[Perspective]) -> str:
    """The scheduling warning for a session missing essential perspectives."""
    names = " or ".join(LABELS[p].lower() for p in absent)
    return (
        f"Nobody in this session has said they bring {names}. Good co-production needs people "
        "with lived experience and clinicians in the room. Think about who else to ask. "
        "People say what they bring with `/cobot perspectives`. It is optional, so some may "
        "not have said."
    )


__all__ = [
    "ESSENTIAL",
    "LABELS",
    "MIN_SHOWN",
    "Perspective",
    "Shown",
    "missing",
    "mix",
    "parse",
    "warning_text",
]
