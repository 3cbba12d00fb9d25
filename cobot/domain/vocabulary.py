"""The vocabulary's one mechanism: a StrEnum whose members carry the words people read.

A member is declared with its stored value and its label together, `APPROVE = "approve",
"I approve"`, so a choice's wording is written once beside it and `.label` reads it
(never a second dict restating every member, kept in step by hand).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self
from typing import TypeVar


class Labelled(StrEnum):
    """A StrEnum member with its label: `NAME = "value", "How people read it"`."""

    _label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """How the member reads."""
        return self._label


L = TypeVar("L", bound=Labelled)


def labels(enum: type[L]) -> dict[L, str]:
    """Every member's label, in declaration order (for a form's options)."""
    return {member: member.label for member in enum}
