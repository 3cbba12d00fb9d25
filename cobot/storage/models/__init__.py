"""Typed SQLAlchemy models, one module per feature; importing this package loads them all."""

# feature model modules (each adds its tables to Base.metadata when imported)
from cobot.storage.models.checkins import (
    CheckinAnswer,
    CheckinContactRequest,
    CheckinPerson,
    CheckinSetup,
    PublishedFigure,
)
from cobot.storage.models.core import (
    Base,
    CoSession,
    Delivery,
    FormReceipt,
    Member,
    Project,
    SessionPerson,
    SlackEvent,
    SlackSignature,
)
from cobot.storage.models.debriefs import (
    Debrief,
    DebriefAction,
    DebriefDevNote,
    DebriefRound,
    DebriefSettings,
    ParticipantFeedback,
)
from cobot.storage.models.endings import Ending, EndingEvaluation, EndingFeeling, EndingFollowUp
from cobot.storage.models.home import HomeOpened
from cobot.storage.models.involvement import (
    Attendance,
    AttendanceRegister,
    Claim,
    ClaimQuery,
    Expense,
    PaymentChoiceRow,
    PaySettings,
    TimeLog,
)

__all__ = [
    "Attendance",
    "AttendanceRegister",
    "Claim",
    "ClaimQuery",
    "Expense",
    "PaymentChoiceRow",
    "PaySettings",
    "TimeLog",
    "Base",
    "CheckinAnswer",
    "CheckinContactRequest",
    "CheckinPerson",
    "CheckinSetup",
    "CoSession",
    "Debrief",
    "DebriefAction",
    "DebriefDevNote",
    "DebriefRound",
    "DebriefSettings",
    "Delivery",
    "FormReceipt",
    "Ending",
    "EndingEvaluation",
    "EndingFeeling",
    "EndingFollowUp",
    "HomeOpened",
    "Member",
    "ParticipantFeedback",
    "Project",
    "PublishedFigure",
    "SessionPerson",
    "SlackEvent",
    "SlackSignature",
]
