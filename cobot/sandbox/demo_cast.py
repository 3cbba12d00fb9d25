"""The demo's cast and setting: the workspace, channels and time zone, who plays which
role, and the script's named turns; here, below demo.py, so its parts (demo_*.py, which
demo.py imports) read them too."""

from __future__ import annotations

TEAM_ID = "T0SANDBOX"
PROJECT_CHANNEL = "C0PROJECT"
PRACTITIONERS_CHANNEL = "C0PRACTICE"
PROJECT_TZ = "Europe/London"
# the cast by role word for /cobot add; each person's Slack id is U + their name in capitals
ROLES = {
    "coordinator": ["Cora"],
    "practitioner": ["Fern", "Finn", "Femi"],
    "participant": ["Pat", "Priya", "Paul", "Penny", "Pete", "Poppy", "Preston", "Pia"],
    "oversight": ["Olive"],
}
# everyone's Slack is set to the project's time zone but these two people's
AWAY = {"Femi": "Europe/Dublin", "Pete": "America/New_York"}
# (user id, name, role word, Slack time zone)
CAST: list[tuple[str, str, str, str]] = [
    ("U" + name.upper(), name, role, AWAY.get(name, PROJECT_TZ))
    for role, names in ROLES.items()
    for name in names
]
NAMES = {user: name for user, name, _role, _tz in CAST}
COORDINATOR = "UCORA"
FACILITATORS = ["UFERN", "UFINN", "UFEMI"]
PARTICIPANTS = [u for u, _n, role, _tz in CAST if role == "participant"]
LOW_PARTICIPANT = "UPRIYA"  # answers low and asks for contact
FORGETFUL = ("UFINN", "Workshop 2")  # forgets this debrief until nudged
LATE_AGENDA = "Workshop 3"  # its agenda goes out only after the overdue nudge
MOVED = "Workshop 4"  # rescheduled by a week
