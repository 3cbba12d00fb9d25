"""A project's lifecycle."""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    """A project is active until a coordinator closes it (its retention clock then starts)."""

    ACTIVE = "active"
    CLOSED = "closed"
