"""The small Block Kit pieces every feature shares."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from cobot.slack.blocks.common import cut
from cobot.slack.blocks.common import header
from cobot.slack.blocks.common import notification_text
from cobot.slack.blocks.common import slack_date


def test_a_notification_shows_dates_as_their_fallback_without_emoji_or_bold() -> None:
    when = slack_date(datetime(2027, 3, 4, 10, 30, tzinfo=UTC), "Europe/London")
    shown = notification_text(f":memo: *Workshop 1* is on {when}: :tada: *bring* a pen")
    assert shown == "Workshop 1 is on Thu 04 Mar 2027 10:30 GMT: :tada: bring a pen"


def test_a_header_is_plain_text_cut_to_slacks_150_characters() -> None:
    block = header("x" * 200)
    assert block["type"] == "header"
    assert block["text"]["type"] == "plain_text"
    assert block["text"]["text"] == "x" * 149 + "\u2026"


def test_a_text_is_cut_only_when_it_does_not_fit() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("abcd", 3) == "ab\u2026"
