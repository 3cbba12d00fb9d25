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
from cobot.storage.models.feeds import CalendarFeed, SessionSequence
from cobot.storage.models.governance import Digest, DigestSettings, Milestone, SlowDown
from cobot.storage.models.home import HomeOpened
from cobot.storage.models.installations import Workspace
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
from cobot.storage.models.polls import Availability, Poll, PollAnswer, PollPerson, PollSlot
from cobot.storage.models.reviews import MemberPerspectives, ReviewAnswer, ReviewRound

__all__ = [
    "Attendance",
    "AttendanceRegister",
    "Claim",
    "ClaimQuery",
    "Expense",
    "PaymentChoiceRow",
    "PaySettings",
    "TimeLog",
    "Availability",
    "Base",
    "CalendarFeed",
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
    "Digest",
    "DigestSettings",
    "FormReceipt",
    "Ending",
    "EndingEvaluation",
    "EndingFeeling",
    "EndingFollowUp",
    "HomeOpened",
    "Member",
    "MemberPerspectives",
    "SessionSequence",
    "Milestone",
    "ParticipantFeedback",
    "Poll",
    "PollAnswer",
    "PollPerson",
    "PollSlot",
    "Project",
    "PublishedFigure",
    "ReviewAnswer",
    "ReviewRound",
    "SessionPerson",
    "SlowDown",
    "SlackEvent",
    "SlackSignature",
    "Workspace",
]
