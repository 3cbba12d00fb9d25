"""The /cobot router: matching, suggestions and quoting."""

from __future__ import annotations

import pytest

from cobot.slack.commands import CommandRouter
from cobot.slack.commands import ParseError
from cobot.slack.commands import Subcommand
from cobot.slack.commands import split_args


def router() -> CommandRouter:
    r = CommandRouter()
    for name in ("help", "session add", "sessions", "project new"):
        r.add(Subcommand(name=name, usage=name, summary="", handler=lambda req, ctx: None))
    return r


def test_longest_name_wins_and_the_rest_are_arguments() -> None:
    sub, rest = router().match(["Session", "add", "Kick-off", "2026-03-02"]) or (None, [])
    assert sub is not None and sub.name == "session add"
    assert rest == ["Kick-off", "2026-03-02"]


def test_unknown_gets_the_closest_suggestion() -> None:
    r = router()
    assert r.match(["sesions"]) is None
    assert r.suggest(["sesions"]) == "sessions"
    assert r.suggest(["zzzz"]) is None


def test_smart_quotes_group_words_and_an_open_quote_is_an_error() -> None:
    assert split_args("session add \u201cKick off\u201d 2026-03-02") == [
        "session",
        "add",
        "Kick off",
        "2026-03-02",
    ]
    with pytest.raises(ParseError):
        split_args('session add "Kick off')


def test_a_name_registers_once() -> None:
    r = router()
    with pytest.raises(ValueError, match="twice"):
        r.add(Subcommand(name="help", usage="help", summary="", handler=lambda req, ctx: None))


def test_apostrophes_are_letters_not_quotes() -> None:
    assert split_args("project new Women\u2019s group") == [
        "project",
        "new",
        "Women\u2019s",
        "group",
    ]
    assert split_args('session add "Carers\' voices" 2026-03-02') == [
        "session",
        "add",
        "Carers' voices",
        "2026-03-02",
    ]
