"""The README's command reference and /cobot help come from one registry and agree."""

from __future__ import annotations

from pathlib import Path

from cobot.slack.blocks.common import escape
from cobot.slack.blocks.help import help_blocks
from cobot.slack.reference import END
from cobot.slack.reference import START
from cobot.slack.reference import markdown
from cobot.slack.reference import registered_router

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_the_generated_one() -> None:
    text = README.read_text()
    assert START in text and END in text, "README lost its command reference markers"
    current = text[text.index(START) : text.index(END) + len(END)]
    expected = markdown(registered_router().listing())
    assert current == expected, "run `cobot commands` and paste its output into README.md"


def test_help_lists_every_registered_subcommand() -> None:
    subs = registered_router().listing()
    shown = str(help_blocks(subs))
    for sub in subs:
        # mrkdwn shows `<title>` only when written `&lt;title&gt;` (Slack parses <...>)
        assert f"/cobot {escape(sub.usage)}" in shown
    assert len(help_blocks(subs)) <= 50


def test_the_reference_registers_what_a_running_cobot_registers(tmp_path: Path) -> None:
    # `cobot commands` builds only the app and the listeners; a whole runtime must agree
    from cobot.config import Settings
    from cobot.runtime import Runtime

    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-reference", "COBOT_DATABASE_URL": f"sqlite:///{tmp_path}/u.db"}
    )
    runtime = Runtime.build(settings)
    try:
        built = [(s.name, s.usage, s.summary, s.group) for s in runtime.router.listing()]
    finally:
        runtime.engine.dispose()
    assert [(s.name, s.usage, s.summary, s.group) for s in registered_router().listing()] == built
