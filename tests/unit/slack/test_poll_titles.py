"""A poll's title is typed by whoever started it: the answers that quote it (the ranking's DM,
the cancel confirmation) show it escaped, so it cannot become a link or @channel."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from cobot.slack import kit
from cobot.slack.listeners import polls

TITLE = "<!channel> & <https://x.example|click>"
BODY = {"team": {"id": "T1"}, "user": {"id": "UCOORD"}, "actions": [{"value": "7"}]}


class Client:
    """Records the DMs a listener sends."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def chat_postMessage(self, **sent: Any) -> None:  # noqa: N802 (slack_sdk's name)
        self.posted.append(sent)


class FakePolls:
    def cancel(self, **_asked: Any) -> SimpleNamespace:
        return SimpleNamespace(title=TITLE, poll_id=7)

    def choice(self, **_asked: Any) -> SimpleNamespace:
        return SimpleNamespace(title=TITLE)


def deps() -> Any:
    return SimpleNamespace(polls=FakePolls(), updates=None)


def test_the_cancel_confirmation_quotes_the_title_escaped() -> None:
    said: list[dict[str, Any]] = []
    press = kit.Press(body=BODY, client=Client(), respond=lambda **kw: said.append(kw))  # type: ignore[arg-type]
    polls.on_cancel(deps(), press)
    [answer] = said
    assert "&lt;!channel&gt; &amp; &lt;https://x.example|click&gt;" in answer["text"]
    assert "<!channel>" not in answer["text"] and answer["response_type"] == "ephemeral"


def test_the_rankings_dm_quotes_the_title_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polls, "choice_blocks", lambda choice: [])
    client = Client()
    press = kit.Press(body=BODY, client=client, respond=lambda **kw: None)  # type: ignore[arg-type]
    polls.on_choose_now(deps(), press)
    [dm] = client.posted
    assert dm["channel"] == "UCOORD"
    assert (
        dm["text"]
        == "The best times for “&lt;!channel&gt; &amp; &lt;https://x.example|click&gt;” so far"
    )
