"""The slow-down confirmation's refusal: shown escaped where the confirmation was, with the
coordinators it names still mentioned."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cobot.services.access import AccessError
from cobot.services.access import NotCoordinator
from cobot.slack.kit import Submission
from cobot.slack.listeners.governance import on_slow_confirmed

PLAN = {"project": 7, "mode": "weeks", "amount": 2, "reason": "breathing space"}


class Refusing:
    """A governance service whose slow-down is refused with `error`."""

    def __init__(self, error: AccessError) -> None:
        self.error = error

    def slow_down(self, **_asked: Any) -> None:
        raise self.error


def refused(error: AccessError) -> dict[str, Any]:
    sent = Submission(
        body={"team": {"id": "T1"}, "user": {"id": "UCOORD"}},
        view={"id": "V1", "private_metadata": json.dumps(PLAN)},
        client=None,
    )
    answer = on_slow_confirmed(Refusing(error), sent)  # type: ignore[arg-type]
    assert answer.view is not None
    return answer.view


def shown(view: dict[str, Any]) -> str:
    [block] = view["blocks"]
    return str(block["text"]["text"])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Sessions <A> & <!channel> moved <https://x|here>", "Sessions &lt;A&gt; &amp; "),
        ("Nothing & nobody", ":x: Nothing &amp; nobody\nNothing was moved."),
    ],
)
def test_the_refusal_is_escaped(message: str, expected: str) -> None:
    view = refused(AccessError(message))
    assert expected in shown(view)
    assert "<!channel>" not in shown(view) and "<https" not in shown(view)
    assert view["callback_id"] == "slow_down_refused" and "submit" not in view
    assert view["title"]["text"] == "Not slowed down" and view["close"]["text"] == "Close"


def test_the_coordinators_a_refusal_names_stay_mentions() -> None:
    view = refused(NotCoordinator(["UC1", "UC2"]))
    assert "(<@UC1>, <@UC2>)" in shown(view)
