"""Settings: defaults, and one clear line for every malformed value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cobot.config import ConfigError
from cobot.config import Settings


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///cobot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.socket_mode is False


def test_app_token_means_socket_mode_and_api_url_gets_its_slash() -> None:
    settings = Settings.from_env(
        {"SLACK_APP_TOKEN": "xapp-1", "COBOT_SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert settings.socket_mode is True
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"COBOT_PORT": "abc"}, "COBOT_PORT"),
        ({"COBOT_PORT": "70000"}, "COBOT_PORT"),
        ({"COBOT_PORT": "0"}, "COBOT_PORT"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"COBOT_DATABASE_URL": "not a url"}, "COBOT_DATABASE_URL"),
        ({"COBOT_DATABASE_URL": "mysql://root@localhost/x"}, "COBOT_DATABASE_URL"),
        ({"COBOT_DATABASE_URL": "sqlite://"}, "COBOT_DATABASE_URL"),
        ({"COBOT_DATABASE_URL": "sqlite:///:memory:"}, "COBOT_DATABASE_URL"),
        ({"COBOT_SLACK_API_URL": "ftp://example"}, "COBOT_SLACK_API_URL"),
        ({"COBOT_LOG_FORMAT": "xml"}, "COBOT_LOG_FORMAT"),
        ({"COBOT_LOG_LEVEL": "LOUD"}, "COBOT_LOG_LEVEL"),
        ({"COBOT_PUBLIC_URL": "cobot.example.org"}, "COBOT_PUBLIC_URL"),
    ],
)
def test_malformed_values_name_their_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}: expected")


def test_log_format_level_and_public_url_are_read_in_any_case() -> None:
    settings = Settings.from_env(
        {
            "COBOT_LOG_FORMAT": "JSON",
            "COBOT_LOG_LEVEL": "debug",
            "COBOT_PUBLIC_URL": "https://cobot.example.org/",
        }
    )
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    assert settings.public_url == "https://cobot.example.org"
    defaults = Settings.from_env({})
    assert (defaults.log_format, defaults.log_level, defaults.public_url) == ("text", "INFO", None)


def test_http_mode_requires_the_signing_secret() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack()
    assert info.value.key == "SLACK_SIGNING_SECRET"
    Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack()


def test_redacted_never_shows_secrets() -> None:
    shown = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": "shh",
            "COBOT_DATABASE_URL": "postgresql://u:pw@h/db",
        }
    ).redacted()
    text = repr(shown)
    assert "xoxb-secret" not in text and "shh" not in text and "pw" not in text
    assert shown["SLACK_BOT_TOKEN"] == "set"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"COBOT_PORT": "eighty"}, "cobot: COBOT_PORT: expected a port number between 1 and 65535"),
        ({}, "cobot: SLACK_BOT_TOKEN: missing"),
        ({"COBOT_LOG_FORMAT": "yaml"}, "cobot: COBOT_LOG_FORMAT: expected text or json"),
    ],
)
def test_cobot_run_stops_with_one_line_and_no_traceback(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "cobot", "run"],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr
