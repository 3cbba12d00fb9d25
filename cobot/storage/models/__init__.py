"""Typed SQLAlchemy models, one module per feature; importing this package loads them all."""

from cobot.storage.models.core import (
    Base,
    CoSession,
    Delivery,
    Member,
    Project,
    SessionPerson,
    SlackEvent,
)

# feature model modules (each adds its tables to Base.metadata when imported)

__all__ = [
    "Base",
    "CoSession",
    "Delivery",
    "Member",
    "Project",
    "SessionPerson",
    "SlackEvent",
]
