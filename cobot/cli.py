"""Command line: cobot run | db | doctor | keys | demo | emulator | commands | privacy."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from types import FrameType

from dotenv import load_dotenv
from slack_sdk.errors import SlackApiError
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import OperationalError

from cobot.config import ConfigError
from cobot.config import Settings
from cobot.logs import configure_logging

log = logging.getLogger("cobot")


def _settings() -> Settings:
    # .env beside where cobot is run (python-dotenv's default search starts from this file)
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    return Settings.from_env()


def cmd_run(_args: argparse.Namespace) -> int:
    """Serve Slack (Socket Mode or HTTP) and run the scheduler until stopped."""
    from cobot.runtime import Runtime
    from cobot.slack.http import HttpServer
    from cobot.slack.socket import socket_handler
    from cobot.storage.migrate import current_revision

    settings = _settings()
    settings.require_slack()
    settings.require_encryption()
    configure_logging(settings.log_level, fmt=settings.log_format)
    runtime = Runtime.build(settings)
    if current_revision(runtime.engine) != runtime.head:
        runtime.engine.dispose()
        _fail("the database is not up to date: run `cobot db upgrade` first")
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # stop taking work; runtime.stop() then drains the sends under way (bounded)
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Slack's side is up first; the scheduler starts after, in constant time
    try:
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            handler = socket_handler(runtime.app, app_token=settings.slack_app_token)
            handler.connect()  # type: ignore[no-untyped-call]
            log.info("cobot is running in Socket Mode")
            runtime.start()
            stop.wait()
            handler.close()  # type: ignore[no-untyped-call]
        else:
            secret = settings.slack_signing_secret
            assert secret, "require_slack() demands the signing secret in HTTP mode"
            try:
                server = HttpServer(
                    runtime.wsgi(signing_secret=secret), host="0.0.0.0", port=settings.port
                )
            except OSError as exc:
                _fail(f"cannot listen on port {settings.port} ({exc.strerror}): set COBOT_PORT")
                return 1

            def close_on_stop() -> None:
                stop.wait()
                server.close()

            threading.Thread(target=close_on_stop, daemon=True).start()
            # the socket already listens: requests queue, not refused, for the few
            # milliseconds start() takes; recovery itself runs on the scheduler's threads
            runtime.start()
            log.info(
                "cobot listening on port %d (POST /slack/events, GET /healthz, /livez, /metrics)",
                server.port,
            )
            server.serve()
    finally:
        runtime.stop()
        log.info("cobot stopped")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Apply migrations, or show where the database stands."""
    from cobot.storage.db import create_db_engine
    from cobot.storage.migrate import current_revision
    from cobot.storage.migrate import head_revision
    from cobot.storage.migrate import upgrade

    settings = _settings()
    configure_logging("WARNING")
    if args.action == "upgrade":
        if settings.encryption_keys:
            from cobot.storage import crypto

            # some migrations encrypt existing values (0007: debrief action text)
            crypto.configure(list(settings.encryption_keys))
        upgrade(settings.database_url)
        print(f"database upgraded to {head_revision(settings.database_url)}")
        return 0
    engine = create_db_engine(settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(settings.database_url)
    state = "up to date" if current == head else "behind: run `cobot db upgrade`"
    print(f"database at {current or 'nothing (empty)'}; newest is {head} ({state})")
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    """Check configuration, database, migrations and the Slack token; say how to fix each."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from cobot.slack.web import make_web_client
    from cobot.storage.db import create_db_engine
    from cobot.storage.migrate import current_revision
    from cobot.storage.migrate import head_revision

    configure_logging("WARNING")
    problems = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(
            f"{'ok  ' if ok else 'FAIL'} {what}" + ("" if ok or not fix else f"\n     fix: {fix}")
        )

    try:
        settings = _settings()
    except ConfigError as exc:
        report(False, f"configuration: {exc}", "edit .env (see .env.example)")
        return 1
    report(
        True, "configuration read: " + ", ".join(f"{k}={v}" for k, v in settings.redacted().items())
    )
    try:
        settings.require_slack()
        report(True, "Slack credentials present")
        if settings.oauth:
            report(
                True,
                f"installing to any workspace: {settings.public_url}/slack/install (Redirect URL"
                f" {settings.public_url}/slack/oauth_redirect)",
            )
    except ConfigError as exc:
        report(False, f"Slack credentials: {exc}")
    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        report(True, "database reachable")
        current, head = current_revision(engine), head_revision(settings.database_url)
        report(
            current == head,
            f"database schema at {current or 'nothing'} (newest {head})",
            "run `cobot db upgrade`",
        )
        if current == head:
            with engine.connect() as conn:
                pending, overdue, alarms = conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM deliveries WHERE status = 'scheduled'),"
                        " (SELECT count(*) FROM deliveries WHERE status = 'scheduled'"
                        "  AND due_at < :stale),"
                        " (SELECT count(*) FROM apscheduler_jobs)"
                    ),
                    {"stale": datetime.now(UTC) - timedelta(minutes=10)},
                ).one()
            if settings.oauth:
                with engine.connect() as conn:
                    installed = conn.execute(
                        text("SELECT count(*) FROM workspaces WHERE uninstalled_at IS NULL")
                    ).scalar_one()
                report(True, f"workspaces with cobot installed: {installed}")
            report(
                overdue == 0,
                f"deliveries: {pending} scheduled, {alarms} alarm(s) armed (one per due minute),"
                f" {overdue} overdue by more than 10 minutes",
                "is `cobot run` running? its sweep sends what is due; check its log for"
                " Slack errors",
            )
    except SQLAlchemyError as exc:
        report(
            False,
            f"database unreachable: {type(exc).__name__}",
            "check COBOT_DATABASE_URL and that the server is running",
        )
    finally:
        engine.dispose()
    if settings.slack_bot_token is not None:
        client = make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        try:
            auth = client.auth_test()
            report(True, f"Slack auth.test: signed in as {auth.get('user')} in {auth.get('team')}")
        except SlackApiError as exc:
            report(
                False,
                f"Slack auth.test refused: {exc.response.get('error')}",
                "copy a fresh Bot User OAuth Token (xoxb-...) into SLACK_BOT_TOKEN",
            )
        except (SlackClientError, OSError) as exc:
            report(
                False,
                f"Slack unreachable at {settings.slack_api_url}: {type(exc).__name__}",
                "check the network, or COBOT_SLACK_API_URL",
            )
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1


def cmd_keys(args: argparse.Namespace) -> int:
    """Make a new encryption key, or re-encrypt stored answers with the newest key."""
    from cobot.storage import crypto

    if args.action == "new":
        print(crypto.new_key())
        print(
            "Put it first in COBOT_ENCRYPTION_KEYS (comma-separated, newest first), keep the "
            "old keys after it until `cobot keys rotate` has run, and store a copy safely: "
            "without it the answers cannot be read.",
            file=sys.stderr,
        )
        return 0
    from cobot.storage.db import create_db_engine
    from cobot.storage.models import Base

    settings = _settings()
    settings.require_encryption()
    configure_logging("WARNING")
    crypto.configure(list(settings.encryption_keys))
    engine = create_db_engine(settings.database_url)
    try:
        changed = crypto.rotate_all(engine, Base.metadata)
    finally:
        engine.dispose()
    print(f"re-encrypted {changed} row(s) with the newest key; older keys can now be removed")
    return 0


def cmd_commands(_args: argparse.Namespace) -> int:
    """Print the /cobot command reference (the README's copy is checked against it)."""
    from cobot.slack.reference import markdown
    from cobot.slack.reference import registered_router

    configure_logging("ERROR")
    print(markdown(registered_router().listing()))
    return 0


def cmd_privacy(_args: argparse.Namespace) -> int:
    """Print what cobot stores, who sees it, how long it is kept and how to export or erase
    it, from the privacy registry (no settings, database or Slack needed)."""
    from cobot.services.privacy import build_registry
    from cobot.services.privacy import privacy_report

    print(privacy_report(build_registry()), end="")
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    """Run the built-in Slack emulator so `cobot run` can be tried without a Slack account."""
    from cobot.sandbox import SlackEmulator

    configure_logging("WARNING")
    emulator = SlackEmulator(port=args.port)
    emulator.start()
    print("Slack emulator running. Point cobot at it with:")
    print(f"  COBOT_SLACK_API_URL={emulator.api_url}")
    print("  SLACK_BOT_TOKEN=xoxb-sandbox")
    print("  SLACK_APP_TOKEN=xapp-sandbox   # for Socket Mode; leave unset for HTTP")
    print("Press Ctrl-C to stop.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a whole co-production project against the built-in emulator, at high speed."""
    from pathlib import Path

    from cobot.sandbox.demo import run_demo

    configure_logging("ERROR")
    out = Path(args.out)
    print(f"cobot demo: the real app, scheduler and ledger; Slack is the emulator ({out}/)")
    result = run_demo(out=out, seed=args.seed, speed=args.speed, progress=sys.stdout)
    print()
    print(result.summary)
    print("Written to", out)
    for path in result.artefacts:
        print(f"  {path.name}")
    if result.problems:
        for problem in result.problems:
            _fail(f"demo problem: {problem}")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the commands)."""
    parser = argparse.ArgumentParser(prog="cobot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve Slack and run the scheduler").set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)
    sub.add_parser("doctor", help="check configuration, database and Slack").set_defaults(
        func=cmd_doctor
    )
    demo = sub.add_parser("demo", help="see cobot work, with no Slack account")
    demo.add_argument("--out", default="cobot-demo", help="folder for the transcript and files")
    demo.add_argument("--seed", type=int, default=7, help="the simulated people's choices")
    demo.add_argument(
        "--speed", type=float, default=1.0, help="bigger steps of simulated time (default 1)"
    )
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("commands", help="print the /cobot command reference").set_defaults(
        func=cmd_commands
    )
    sub.add_parser(
        "privacy", help="what cobot stores about people, who sees it, how long (for a DPIA)"
    ).set_defaults(func=cmd_privacy)
    keys = sub.add_parser("keys", help="encryption keys for personal answers")
    keys.add_argument("action", choices=["new", "rotate"])
    keys.set_defaults(func=cmd_keys)
    emu = sub.add_parser("emulator", help="run the built-in Slack emulator")
    emu.add_argument("--port", type=int, default=3010)
    emu.set_defaults(func=cmd_emulator)
    return parser


def _fail(message: str) -> None:
    print(f"cobot: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cobot` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        _fail(f"{exc.key}: {exc.expected}")
        return 2
    except KeyboardInterrupt:
        return 130
    except OperationalError as exc:
        _fail(
            f"cannot use the database ({type(exc.orig).__name__}): check COBOT_DATABASE_URL "
            "and that the database server is running"
        )
        return 1
    except Exception as exc:  # a bug: one line for the person, the details for a developer
        if os.environ.get("COBOT_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}; run again with COBOT_DEBUG=1 for the details")
        return 1


if __name__ == "__main__":
    sys.exit(main())
