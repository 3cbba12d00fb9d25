"""Plain English for what participants read: the jargon cobot's own wording avoids.

The case study asks for no jargon: people with lived experience are partners, not a
"cohort" to "engage". These words are refused in every message a participant can receive
(tests/unit/test_plain_english.py). A deployment extends the list with the environment
variable COBOT_EXTRA_JARGON (comma-separated words or phrases), not a per-project setting:
the check is over cobot's own wording, which is the same for every project, and it runs
where that wording is changed (the test suite, CI), not in a running project.
"""

from __future__ import annotations

import re

EXTRA_JARGON_ENV = "COBOT_EXTRA_JARGON"

# management and research words with an everyday word instead (in brackets); not
# "onboarding", which names the coordinators' `/cobot onboarding` (participants never see it)
JARGON: frozenset[str] = frozenset(
    {
        "stakeholder",  # (people involved)
        "stakeholders",
        "facilitate",  # (run, help)
        "facilitates",
        "facilitating",
        "facilitation",
        "utilise",  # (use)
        "utilize",
        "utilisation",
        "deliverable",  # (what we make)
        "deliverables",
        "cohort",  # (group)
        "modality",  # (way)
        "modalities",
        "leverage",  # (use)
        "synergy",  # (working together)
        "synergies",
        "touchpoint",  # (contact)
        "touchpoints",
        "workstream",  # (part of the work)
        "actionable",  # (you can act on)
        "bandwidth",  # (time)
        "paradigm",
        "holistic",  # (whole)
        "service user",  # (person, participant)
        "service users",
        "going forward",  # (from now on)
        "in order to",  # (to)
        "prior to",  # (before)
        "commence",  # (start)
        "ascertain",  # (find out)
        "escalate",  # (pass on)
    }
)


def jargon(extra: str = "") -> frozenset[str]:
    """The jargon list, with a deployment's own additions (`extra`: comma-separated)."""
    added = {word.strip().lower() for word in extra.split(",") if word.strip()}
    return JARGON | added


def jargon_in(text: str, words: frozenset[str]) -> list[str]:
    """The jargon words or phrases in `text` (whole words, any case), in list order."""
    lowered = text.lower()
    return sorted(w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered))
