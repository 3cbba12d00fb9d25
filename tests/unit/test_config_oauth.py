"""Installing to any workspace is configured with three settings, all or none; anything
else is one clear line naming the key, from `cobot run` and `cobot doctor` alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cobot.config import ConfigError
from cobot.config import Settings
from cobot.slack.oauth import BOT_SCOPES
from cobot.slack.oauth import authorize_url

OAUTH = {
    "SLACK_CLIENT_ID": "1234567890.987654321",
    "SLACK_CLIENT_SECRET": "client-secret-value",
    "COBOT_PUBLIC_URL": "https://cobot.example.org/",
    "SLACK_SIGNING_SECRET": "shh",
}


def test_all_three_mean_oauth_and_no_bot_token_is_needed() -> None:
    settings = Settings.from_env(OAUTH)
    assert settings.oauth is True
    assert settings.public_url == "https://cobot.example.org"
    settings.require_slack()  # no SLACK_BOT_TOKEN: each workspace's token is installed
    assert Settings.from_env({}).oauth is False


def test_oauth_still_needs_the_signing_secret() -> None:
    env = {k: v for k, v in OAUTH.items() if k != "SLACK_SIGNING_SECRET"}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env).require_slack()
    assert info.value.key == "SLACK_SIGNING_SECRET"


@pytest.mark.parametrize("missing", ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "COBOT_PUBLIC_URL"])
def test_a_partial_setup_names_what_is_missing(missing: str) -> None:
    env = {k: v for k, v in OAUTH.items() if k != missing}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.key == missing
    assert "together" in str(info.value)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"SLACK_CLIENT_ID": "abc"}, "SLACK_CLIENT_ID"),
        ({"COBOT_PUBLIC_URL": "cobot.example.org"}, "COBOT_PUBLIC_URL"),
        ({"COBOT_PUBLIC_URL": "https://cobot.example.org/?x=1"}, "COBOT_PUBLIC_URL"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN"),
    ],
)
def test_malformed_oauth_values_name_their_key(change: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**OAUTH, **change})
    assert info.value.key == key


def test_redacted_shows_no_client_secret() -> None:
    shown = Settings.from_env(OAUTH).redacted()
    assert "client-secret-value" not in repr(shown)
    assert shown["SLACK_CLIENT_SECRET"] == "set"
    assert shown["COBOT_PUBLIC_URL"] == "https://cobot.example.org"


def test_the_authorize_page_is_beside_the_web_api() -> None:
    assert authorize_url(Settings.from_env(OAUTH)) == "https://slack.com/oauth/v2/authorize"
    local = Settings.from_env({**OAUTH, "COBOT_SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert authorize_url(local) == "http://127.0.0.1:9/oauth/v2/authorize"


def test_cobot_asks_each_workspace_for_the_manifests_scopes() -> None:
    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack-manifest.yml").read_text())
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_partial_setup_stops_run_and_doctor_with_one_clear_line(
    tmp_path: Path, command: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    env = {**clean, "SLACK_CLIENT_ID": "1234.5678", "SLACK_SIGNING_SECRET": "shh"}
    result = subprocess.run(
        [sys.executable, "-m", "cobot", command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "Traceback" not in said
    assert "SLACK_CLIENT_SECRET: missing" in said and "COBOT_PUBLIC_URL" in said


def test_the_readmes_oauth_manifest_matches_what_cobot_serves_and_asks_for() -> None:
    import yaml

    from cobot.slack.oauth import REDIRECT_PATH

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Installing to any workspace (OAuth)", 1)[1]
    block = section.split("```yaml", 1)[1].split("```", 1)[0]
    manifest = yaml.safe_load(block)
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "Installing to any workspace" in readme.split("### Installing to any workspace")[0]
