"""Settings read from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cobot.storage.crypto import parse_keys

DEFAULT_DATABASE_URL = "sqlite:///cobot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
# COBOT_LOG_FORMAT: one line of text per event, or one JSON object per line (cobot/logs.py)
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the key and what is expected."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"{key}: {expected}")
        self.key = key
        self.expected = expected


@dataclass(frozen=True)
class Settings:
    """Everything cobot reads from its environment. Secrets come only from here."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    database_url: str
    slack_api_url: str
    port: int
    delivery_lease_seconds: int = 60
    sweep_seconds: float = 5.0
    encryption_keys: tuple[str, ...] = ()
    # where Slack (OAuth) and people's calendar apps reach cobot; None: no feeds, no OAuth
    public_url: str | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    # installing to any workspace (OAuth): id and secret with COBOT_PUBLIC_URL (cobot.slack.oauth)
    slack_client_id: str | None = None
    slack_client_secret: str | None = None

    @property
    def oauth(self) -> bool:
        """OAuth mode: workspaces install cobot at /slack/install; tokens live in the database."""
        return self.slack_client_id is not None

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured; otherwise HTTP."""
        return self.slack_app_token is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; raises ConfigError naming the first bad key."""
        env = os.environ if environ is None else environ
        bot_token = _optional(env, "SLACK_BOT_TOKEN")
        if bot_token is not None and not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN", "expected a bot token starting with xoxb-")
        app_token = _optional(env, "SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN",
                "expected an app-level token starting with xapp- (or leave it unset for HTTP mode)",
            )
        secret = _optional(env, "SLACK_SIGNING_SECRET")
        database_url = _optional(env, "COBOT_DATABASE_URL") or DEFAULT_DATABASE_URL
        try:
            url = make_url(database_url)
        except ArgumentError:
            raise ConfigError(
                "COBOT_DATABASE_URL",
                "expected a SQLAlchemy URL such as sqlite:///cobot.db "
                "or postgresql+psycopg://user@host/dbname",
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ConfigError("COBOT_DATABASE_URL", "expected a sqlite:// or postgresql:// URL")
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise ConfigError(
                "COBOT_DATABASE_URL",
                "expected a SQLite file (sqlite:///cobot.db); an in-memory database loses "
                "everything on restart",
            )
        api_url = _optional(env, "COBOT_SLACK_API_URL") or DEFAULT_SLACK_API_URL
        parsed = urlparse(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError("COBOT_SLACK_API_URL", "expected an http(s) URL ending in /api/")
        if not api_url.endswith("/"):
            api_url += "/"
        port_text = _optional(env, "COBOT_PORT")
        port = DEFAULT_PORT
        if port_text is not None:
            if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
                raise ConfigError("COBOT_PORT", "expected a port number between 1 and 65535")
            port = int(port_text)
        keys_text = _optional(env, "COBOT_ENCRYPTION_KEYS")
        keys: tuple[str, ...] = ()
        if keys_text is not None:
            try:
                keys = tuple(parse_keys(keys_text))
            except ValueError as exc:
                raise ConfigError("COBOT_ENCRYPTION_KEYS", f"expected Fernet keys: {exc}") from None
        public_url = _public_url(env)
        log_format = _choice(env, "COBOT_LOG_FORMAT", LOG_FORMATS)
        log_level = _choice(env, "COBOT_LOG_LEVEL", LOG_LEVELS, default="INFO")
        lease = _positive_int(env, "COBOT_DELIVERY_LEASE_SECONDS", 60, low=1, high=3600)
        sweep = _positive_int(env, "COBOT_SWEEP_SECONDS", 5, low=1, high=300)
        client_id, client_secret, public_url = _oauth_settings(
            env, app_token=app_token, public_url=public_url
        )
        return cls(
            slack_client_id=client_id,
            slack_client_secret=client_secret,
            encryption_keys=keys,
            delivery_lease_seconds=lease,
            sweep_seconds=float(sweep),
            slack_bot_token=bot_token,
            slack_signing_secret=secret,
            slack_app_token=app_token,
            database_url=database_url,
            slack_api_url=api_url,
            port=port,
            public_url=public_url,
            log_format=log_format,
            log_level=log_level,
        )

    def require_slack(self) -> None:
        """Check that what talking to Slack needs is present (run, doctor)."""
        if self.oauth:
            # each workspace's token comes from its installation; requests are still signed
            if self.slack_signing_secret is None:
                raise ConfigError(
                    "SLACK_SIGNING_SECRET",
                    "missing: installing to any workspace (SLACK_CLIENT_ID) runs in HTTP mode; "
                    "copy the Signing Secret from your app's Basic Information page into .env",
                )
            return
        if self.slack_bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN",
                "missing: copy the Bot User OAuth Token (xoxb-...) from your app's "
                "OAuth & Permissions page into .env",
            )
        if not self.socket_mode and self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "missing: copy the Signing Secret from your app's Basic Information page "
                "into .env (or set SLACK_APP_TOKEN to use Socket Mode)",
            )

    def require_encryption(self) -> None:
        """Personal answers are stored encrypted: running for real needs a key."""
        if not self.encryption_keys:
            raise ConfigError(
                "COBOT_ENCRYPTION_KEYS",
                "missing: run `cobot keys new` and put the key it prints into .env "
                "(it encrypts people's personal answers; keep a copy somewhere safe)",
            )

    def redacted(self) -> dict[str, str]:
        """A view safe to print: secrets shown only as set/unset."""

        def mask(value: str | None) -> str:
            return "unset" if value is None else "set"

        return {
            "SLACK_BOT_TOKEN": mask(self.slack_bot_token),
            "SLACK_SIGNING_SECRET": mask(self.slack_signing_secret),
            "SLACK_APP_TOKEN": mask(self.slack_app_token),
            "COBOT_DATABASE_URL": make_url(self.database_url).render_as_string(hide_password=True),
            "COBOT_SLACK_API_URL": self.slack_api_url,
            "COBOT_PORT": str(self.port),
            "COBOT_DELIVERY_LEASE_SECONDS": str(self.delivery_lease_seconds),
            "COBOT_SWEEP_SECONDS": str(int(self.sweep_seconds)),
            "COBOT_ENCRYPTION_KEYS": f"{len(self.encryption_keys)} key(s)",
            "SLACK_CLIENT_ID": mask(self.slack_client_id),
            "SLACK_CLIENT_SECRET": mask(self.slack_client_secret),
            "COBOT_PUBLIC_URL": self.public_url or "unset",
            "COBOT_LOG_FORMAT": self.log_format,
            "COBOT_LOG_LEVEL": self.log_level,
        }


_OAUTH_KEYS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "COBOT_PUBLIC_URL")


def _oauth_settings(
    env: Mapping[str, str], *, app_token: str | None, public_url: str | None
) -> tuple[str | None, str | None, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET with COBOT_PUBLIC_URL: all three, or neither of
    the first two (COBOT_PUBLIC_URL alone serves calendar feeds)."""
    values = {key: _optional(env, key) for key in _OAUTH_KEYS}
    values["COBOT_PUBLIC_URL"] = public_url
    given = [key for key in _OAUTH_KEYS[:2] if values[key] is not None]
    if not given:
        return None, None, public_url
    for key in _OAUTH_KEYS:
        if values[key] is None:
            raise ConfigError(
                key,
                "missing: installing to any workspace needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET "
                f"and COBOT_PUBLIC_URL together (only {', '.join(given)} set); copy the client "
                "id and secret from your app's Basic Information page, or unset the first two to "
                "run with one SLACK_BOT_TOKEN",
            )
    client_id, secret, public = (values[k] for k in _OAUTH_KEYS)
    assert client_id is not None and secret is not None and public is not None
    if not all(part.isdigit() for part in client_id.split(".")) or "." not in client_id:
        raise ConfigError(
            "SLACK_CLIENT_ID", "expected the app's Client ID, digits with a dot (1234.5678)"
        )
    if urlparse(public).query:
        raise ConfigError(
            "COBOT_PUBLIC_URL",
            "expected the https:// address Slack reaches cobot at (https://cobot.example.org)",
        )
    if app_token is not None:
        raise ConfigError(
            "SLACK_APP_TOKEN",
            "expected unset when installing to any workspace (SLACK_CLIENT_ID): Slack sends "
            "installed workspaces' requests over HTTP to COBOT_PUBLIC_URL/slack/events",
        )
    return client_id, secret, public


def _public_url(env: Mapping[str, str]) -> str | None:
    url = _optional(env, "COBOT_PUBLIC_URL")
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            "COBOT_PUBLIC_URL",
            "expected the https:// address Slack and calendar apps reach cobot at",
        )
    return url.rstrip("/")


def _choice(
    env: Mapping[str, str], key: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    """One of `choices` (any case); the first is the default unless `default` says."""
    text = _optional(env, key)
    if text is None:
        return default or choices[0]
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    raise ConfigError(key, "expected " + " or ".join(choices))


def _positive_int(env: Mapping[str, str], key: str, default: int, *, low: int, high: int) -> int:
    text = _optional(env, key)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ConfigError(key, f"expected a whole number of seconds from {low} to {high}")
    return int(text)


def _optional(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None
