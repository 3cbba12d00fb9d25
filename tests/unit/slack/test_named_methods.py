"""The kit names some service methods as strings (`listen.opens`, `commands.shows`): mypy
cannot check them, so these tests check that a real runtime's services have every one."""

from __future__ import annotations

import importlib
import pkgutil
from functools import partial
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult

import cobot.slack.listeners
from cobot.config import Settings
from cobot.runtime import Runtime
from cobot.slack import kit
from cobot.slack.commands import CommandRouter
from cobot.slack.commands import Shows


def _listens() -> list[kit.Listeners]:
    """Every listener module's `listen`, the kit's declarations of its buttons and forms."""
    modules = [
        importlib.import_module(f"cobot.slack.listeners.{info.name}")
        for info in pkgutil.iter_modules(cobot.slack.listeners.__path__)
    ]
    found = [getattr(module, "listen", None) for module in modules]
    return [listen for listen in found if isinstance(listen, kit.Listeners)]


def test_every_method_a_button_or_command_names_is_on_the_real_services(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-names", "COBOT_DATABASE_URL": f"sqlite:///{tmp_path}/n.db"}
    )
    runtime = Runtime.build(settings)
    try:
        shown = 0
        for sub in runtime.router.listing():
            handler = sub.handler
            if isinstance(handler, partial) and isinstance(handler.func, Shows):
                shown += 1
                method = attrgetter(handler.func.method)(handler.args[0])
                assert callable(method), f"/cobot {sub.name}: {handler.func.method}"
        listens = _listens()
        for listen in listens:
            assert listen.unresolved() == [], listen.group
    finally:
        runtime.engine.dispose()
    assert shown >= 9  # the commands that only show what a service returns
    assert len(listens) >= 10


def test_a_misspelt_method_name_is_reported() -> None:
    listen = kit.Listeners(group="Test")
    listen.opens("open_it", "service.form", lambda view: {}, key="item_id")
    listen.opens("open_other", "service.froms", lambda view: {}, key="item_id")
    app = App(
        signing_secret="secret",
        authorize=lambda: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UBOT"
        ),
    )
    deps = SimpleNamespace(service=SimpleNamespace(form=lambda **_kw: None))
    listen.wire(app, CommandRouter(), deps)
    assert listen.unresolved() == ["service.froms"]
