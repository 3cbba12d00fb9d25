"""The Slack app manifest creates what cobot needs, and no more."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"


def test_manifest_declares_the_command_events_home_and_least_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/cobot" and command["should_escape"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "commands",
            "chat:write",
            "users:read",
            "channels:read",
            "groups:read",
            "files:write",
            "files:read",
        ]
    )


def test_every_scope_says_why_it_is_there() -> None:
    lines = MANIFEST.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "bot:")
    for i, line in enumerate(lines[start + 1 :], start=start + 1):
        if not line.strip().startswith("- "):
            if not line.strip().startswith("#"):
                break
            continue
        assert lines[i - 1].strip().startswith("#"), f"no reason given for {line.strip()}"
