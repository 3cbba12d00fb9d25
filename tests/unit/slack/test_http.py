"""The HTTP layer in front of Bolt: what it lets through, and that nothing answers 500."""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import OperationalError

from cobot.sandbox.signing import sign
from cobot.slack.http import EVENTS_PATH
from cobot.slack.http import MAX_BODY
from cobot.slack.http import CobotWsgi
from cobot.slack.http import Page
from cobot.slack.http import Route

SECRET = "s3cret"
COMMAND = urlencode(
    {"command": "/cobot", "user_id": "U1", "team_id": "T1", "text": "I feel awful today"}
).encode()


class FakeApp:
    """Records what reached Bolt; answers, raises or fails as told."""

    def __init__(self, answer: BoltResponse | Exception | None = None) -> None:
        self.answer = answer or BoltResponse(status=200, body='{"text": "hi"}')
        self.requests: list[BoltRequest] = []
        # single-token mode: no OAuth flow (CobotWsgi serves /slack/install only with one)
        self.oauth_flow = None

    def dispatch(self, request: BoltRequest) -> BoltResponse:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Replays:
    def __init__(self, error: Exception | None = None) -> None:
        self.seen: set[str] = set()
        self.error = error

    def first_signature(self, signature_hash: str) -> bool:
        if self.error is not None:
            raise self.error
        if signature_hash in self.seen:
            return False
        self.seen.add(signature_hash)
        return True


def call(
    app: Any, body: bytes, *, signed: bool = True, replays: Replays | None = None, **environ: Any
) -> tuple[str, bytes]:
    ts = str(int(time.time()))
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if signed:
        env["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = ts
        env["HTTP_X_SLACK_SIGNATURE"] = sign(SECRET, ts, body)
    env.update(environ)
    setup_testing_defaults(env)
    status: list[str] = []
    wsgi = CobotWsgi(app, healthy=lambda: True, signing_secret=SECRET, replays=replays or Replays())
    chunks = wsgi(env, lambda s, _h: status.append(s))  # type: ignore[arg-type]
    return status[0], b"".join(chunks)


def test_a_verified_request_reaches_bolt_with_its_exact_body() -> None:
    app = FakeApp()
    status, body = call(app, COMMAND)
    assert status.startswith("200") and json.loads(body) == {"text": "hi"}
    [request] = app.requests
    assert request.raw_body == COMMAND.decode()
    assert request.body["command"] == "/cobot"


def test_nothing_reaches_bolt_unsigned_and_a_replay_is_ignored() -> None:
    app = FakeApp()
    assert call(app, COMMAND, signed=False)[0].startswith("401")
    assert app.requests == []
    replays = Replays()
    ts = str(int(time.time()))
    headers = {
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": sign(SECRET, ts, COMMAND),
    }
    first = call(app, COMMAND, signed=False, replays=replays, **headers)
    again = call(app, COMMAND, signed=False, replays=replays, **headers)
    assert first[0].startswith("200") and again == ("200 OK", b"")
    assert len(app.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("boom: I feel awful today"), BoltResponse(status=500, body="trace")],
    ids=["raises", "answers 500"],
)
def test_a_failing_dispatch_never_answers_500_nor_reveals_anything(
    failure: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status, body = call(FakeApp(failure), COMMAND)
    assert status.startswith("200")
    assert json.loads(body)["response_type"] == "ephemeral"
    assert b"boom" not in body and b"trace" not in body
    assert "awful" not in caplog.text and "boom" not in caplog.text
    press = urlencode(
        {
            "payload": json.dumps(
                {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a"}]}
            )
        }
    ).encode()
    assert call(FakeApp(failure), press) == ("200 OK", b"")


def test_the_replay_store_failing_is_not_a_500() -> None:
    down = Replays(OperationalError("SELECT", {}, Exception("database is down")))
    app = FakeApp()
    status, _body = call(app, COMMAND, replays=down)
    assert status.startswith("200") and app.requests == []


def test_a_body_over_the_limit_is_413_unread() -> None:
    app = FakeApp()
    big = b"a=" + b"x" * MAX_BODY
    assert call(app, big)[0].startswith("413")
    # a lying Content-Length does not make it read more than the limit
    assert call(app, big, CONTENT_LENGTH="10")[0].startswith("401")
    assert call(app, big, CONTENT_LENGTH="")[0].startswith("413")
    assert app.requests == []


def get(wsgi: CobotWsgi, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path}
    setup_testing_defaults(env)
    answered: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = wsgi(env, lambda s, h: answered.append((s, h)))  # type: ignore[arg-type]
    status, headers = answered[0]
    return status, dict(headers), b"".join(chunks)


def test_routes_answer_get_and_head_and_a_failing_page_is_a_503_naming_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def feed(environ: Any) -> Page:
        if environ["PATH_INFO"].endswith("broken.ics"):
            raise OperationalError("SELECT secret-token", {}, Exception("down"))
        return Page(200, b"BEGIN:VCALENDAR", (("Content-Type", "text/calendar"),))

    seen: list[tuple[str, int]] = []
    app: Any = FakeApp()
    wsgi = CobotWsgi(
        app,
        healthy=lambda: {"ok": False, "database": "unavailable"},
        signing_secret=SECRET,
        replays=Replays(),
        routes=[Route("calendar", "/calendar/", feed)],
        observe=lambda route, status, _seconds: seen.append((route, status)),
    )
    status, headers, body = get(wsgi, "/calendar/abc.ics")
    assert status == "200 OK" and body == b"BEGIN:VCALENDAR"
    assert headers["Content-Type"] == "text/calendar" and headers["Content-Length"] == "15"
    status, headers, body = get(wsgi, "/calendar/abc.ics", method="HEAD")
    assert (status, body, headers["Content-Length"]) == ("200 OK", b"", "15")
    caplog.set_level(logging.INFO)
    status, _, body = get(wsgi, "/calendar/broken.ics")
    assert status.startswith("503") and b"secret" not in body
    assert "secret-token" not in caplog.text and "OperationalError" in caplog.text
    assert get(wsgi, "/calendar/abc.ics", method="POST")[0].startswith("404")
    assert get(wsgi, "/readyz")[0].startswith("503")
    # metrics name the route, never the path (a calendar path is a secret)
    assert seen == [
        ("calendar", 200),
        ("calendar", 200),
        ("calendar", 503),
        ("calendar", 404),
        ("ready", 503),
    ]


class FakeFlow:
    """Bolt's OAuth flow: answers the install page and the redirect as told, or raises."""

    def __init__(self, answer: BoltResponse | Exception) -> None:
        self.answer = answer

    def handle_installation(self, _request: BoltRequest) -> BoltResponse:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    handle_callback = handle_installation


def test_the_install_pages_are_bolts_html_not_cached_and_a_failure_names_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = "<html><body>Add to Slack</body></html>"
    cookie = "slack-app-oauth-state=abc; Secure; HttpOnly"
    answers: list[BoltResponse | Exception] = [
        BoltResponse(status=200, body=page, headers={"Set-Cookie": cookie}),
        BoltResponse(status=401, body=page),
        BoltResponse(status=500, body="a stack trace naming xoxb-secret"),
        OperationalError("SELECT xoxb-secret", {}, Exception("down")),
    ]
    wanted = ["200 OK", "401 Unauthorized", "503 Service Unavailable", "503 Service Unavailable"]
    caplog.set_level(logging.INFO)
    for answer, status_line in zip(answers, wanted, strict=True):
        app: Any = FakeApp()
        app.oauth_flow = FakeFlow(answer)
        wsgi = CobotWsgi(app, healthy=lambda: True, signing_secret=SECRET, replays=Replays())
        for path in ("/slack/install", "/slack/oauth_redirect"):
            status, raw_headers, body = get(wsgi, path)
            headers = {name.lower(): value for name, value in raw_headers.items()}
            assert status == status_line
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert headers["cache-control"] == "no-store"
            assert headers["content-length"] == str(len(body))
            assert b"xoxb-secret" not in body
            if status_line == "200 OK":
                assert body == page.encode() and headers["set-cookie"] == cookie
            if status_line.startswith("503"):
                assert b"could not be installed" in body
    assert "xoxb-secret" not in caplog.text
