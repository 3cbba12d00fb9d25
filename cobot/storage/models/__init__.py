"""Typed SQLAlchemy models, one module per feature; importing this package loads them all."""

# feature model modules (each adds its tables to Base.metadata when imported)
from cobot.storage.models.checkins import CheckinAnswer
from cobot.storage.models.checkins import CheckinContactRequest
from cobot.storage.models.checkins import CheckinPerson
from cobot.storage.models.checkins import CheckinSetup
from cobot.storage.models.checkins import PublishedFigure
from cobot.storage.models.core import Base
from cobot.storage.models.core import CoSession
from cobot.storage.models.core import Delivery
from cobot.storage.models.core import FormReceipt
from cobot.storage.models.core import Member
from cobot.storage.models.core import Project
from cobot.storage.models.core import SessionPerson
from cobot.storage.models.core import SlackEvent
from cobot.storage.models.core import SlackSignature
from cobot.storage.models.debriefs import Debrief
from cobot.storage.models.debriefs import DebriefAction
from cobot.storage.models.debriefs import DebriefDevNote
from cobot.storage.models.debriefs import DebriefRound
from cobot.storage.models.debriefs import DebriefSettings
from cobot.storage.models.debriefs import ParticipantFeedback
from cobot.storage.models.endings import Ending
from cobot.storage.models.endings import EndingEvaluation
from cobot.storage.models.endings import EndingFeeling
from cobot.storage.models.endings import EndingFollowUp
from cobot.storage.models.feeds import CalendarFeed
from cobot.storage.models.feeds import SessionSequence
from cobot.storage.models.governance import Digest
from cobot.storage.models.governance import DigestSettings
from cobot.storage.models.governance import Milestone
from cobot.storage.models.governance import SlowDown
from cobot.storage.models.home import HomeOpened
from cobot.storage.models.installations import Workspace
from cobot.storage.models.involvement import Attendance
from cobot.storage.models.involvement import AttendanceRegister
from cobot.storage.models.involvement import Claim
from cobot.storage.models.involvement import ClaimQuery
from cobot.storage.models.involvement import Expense
from cobot.storage.models.involvement import PaymentChoiceRow
from cobot.storage.models.involvement import PaySettings
from cobot.storage.models.involvement import TimeLog
from cobot.storage.models.polls import Availability
from cobot.storage.models.polls import Poll
from cobot.storage.models.polls import PollAnswer
from cobot.storage.models.polls import PollPerson
from cobot.storage.models.polls import PollSlot
from cobot.storage.models.reviews import MemberPerspectives
from cobot.storage.models.reviews import ReviewAnswer
from cobot.storage.models.reviews import ReviewRound

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
