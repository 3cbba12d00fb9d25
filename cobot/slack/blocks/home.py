"""Block Kit for the App Home tab."""

from __future__ import annotations

from typing import Any


def welcome_home() -> dict[str, Any]:
    """The Home tab before someone belongs to any project."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Welcome to cobot"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        "cobot keeps your co-production project on time and looks after the "
                        "people in it. Your sessions, the things you owe before and after "
                        "them, and your private check-ins will appear here."
                    ),
                },
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "Type `/cobot help` in any channel to start."}
                ],
            },
        ],
    }
