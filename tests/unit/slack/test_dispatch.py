"""Each listener module driven in-process, as bolt-python's scenario tests do: a signed
request through `app.dispatch`, the services faked with transcripts, and what Slack would
have received (the ack, the Web API calls, the response_url answers) checked."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import cast
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt import BoltContext
from slack_bolt import BoltRequest
from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from cobot.sandbox.signing import sign
from cobot.services.access import AccessError
from cobot.services.access import NotCoordinator
from cobot.services.debriefs import DebriefClosed
from cobot.services.projects import InvalidFields
from cobot.services.reminders import Done
from cobot.services.reminders import Shared
from cobot.slack import kit
from cobot.slack.blocks import checkins as checkin_blocks
from cobot.slack.blocks import debriefs as debrief_blocks
from cobot.slack.blocks import endings as ending_blocks
from cobot.slack.blocks import home as home_blocks
from cobot.slack.blocks import projects as project_blocks
from cobot.slack.blocks import reminders as reminder_blocks
from cobot.slack.blocks import sessions as session_blocks
from cobot.slack.commands import CommandRouter
from cobot.slack.listeners import checkins
from cobot.slack.listeners import debriefs
from cobot.slack.listeners import endings
from cobot.slack.listeners import home
from cobot.slack.listeners import projects
from cobot.slack.listeners import reminders
from cobot.slack.listeners import sessions

SECRET = "in-process-signing-secret"
TEAM, USER = "T1", "UALEX"


class RecordingClient(WebClient):
    """A Web API that answers ok and records each call (method, arguments)."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-in-process")
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: Any = None,  # noqa: ARG002
        data: Any = None,
        params: Any = None,
        json: Any = None,
        headers: Any = None,  # noqa: ARG002
        auth: Any = None,  # noqa: ARG002
    ) -> SlackResponse:
        args = {**(params or {}), **(data or {}), **(json or {})}
        self.calls.append((api_method, args))
        reply: dict[str, Any] = {"ok": True}
        if api_method == "conversations.open":
            reply["channel"] = {"id": "D1"}
        return SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=api_method,
            req_args=args,
            data=reply,
            headers={},
            status_code=200,
        )

    def called(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]


class Harness:
    """One Bolt app, a recording Web API and a recording response_url."""

    def __init__(self) -> None:
        self.client = RecordingClient()
        self.router = CommandRouter()
        self.responses: list[dict[str, Any]] = []
        # process_before_response: the listener has finished when dispatch returns
        self.app = App(
            signing_secret=SECRET,
            authorize=lambda: AuthorizeResult(
                enterprise_id=None, team_id=TEAM, bot_token="xoxb-in-process", bot_user_id="UBOT"
            ),
            process_before_response=True,
        )

        def record_respond(context: BoltContext, next_: Callable[[], None]) -> None:
            # bolt's own tests point the Web API and response_url at a mock server; here
            # both are recorders (Bolt makes a fresh client per request, so it is swapped)
            context["client"] = self.client
            context["respond"] = lambda **kwargs: self.responses.append(kwargs)
            next_()

        self.app.use(record_respond)

    def dispatch(self, payload: dict[str, Any]) -> BoltResponse:
        body = urlencode({"payload": json.dumps(payload)})
        ts = str(int(time.time()))
        request = BoltRequest(
            body=body,
            headers={
                "content-type": ["application/x-www-form-urlencoded"],
                "x-slack-request-timestamp": [ts],
                "x-slack-signature": [sign(SECRET, ts, body)],
            },
        )
        return self.app.dispatch(request)

    def press(self, action_id: str, value: str, **extra: Any) -> BoltResponse:
        return self.dispatch(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": USER},
                "trigger_id": "trigger-1",
                "response_url": "https://hooks.slack.test/actions/1",
                "actions": [{"action_id": action_id, "value": value, "type": "button"}],
                **extra,
            }
        )

    def submit(
        self, callback_id: str, metadata: str, values: dict[str, dict[str, Any]]
    ) -> BoltResponse:
        return self.dispatch(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": USER},
                "view": {
                    "id": "V1",
                    "type": "modal",
                    "callback_id": callback_id,
                    "private_metadata": metadata,
                    "state": {"values": values},
                },
            }
        )


def ack_body(response: BoltResponse) -> dict[str, Any]:
    assert response.status == 200
    return cast(dict[str, Any], json.loads(response.body)) if response.body else {}


class Transcript:
    """A fake service: every method records its keyword arguments and answers `answers`."""

    def __init__(self, **answers: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers = answers

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in self.answers:
            raise AttributeError(name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            answer = self.answers[name]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_reminders_plan_done_replaces_the_button_and_a_forged_id_changes_nothing(
    harness: Harness,
) -> None:
    done = Done(
        session_id=7, title="Kick-off", done_at=datetime(2027, 1, 1, tzinfo=UTC), already=False
    )
    service = Transcript(plan_done=done)
    reminders.register(harness.app, harness.router, reminders=cast(Any, service))
    message = {
        "text": "Plan it",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Plan"}}],
    }

    assert ack_body(harness.press(reminder_blocks.PLAN_DONE, "7", message=message)) == {}
    assert service.calls == [("plan_done", {"team_id": TEAM, "user_id": USER, "session_id": 7})]
    [answer] = harness.responses
    assert answer["replace_original"] is True and "Kick-off" in json.dumps(answer["blocks"])

    harness.press(reminder_blocks.PLAN_DONE, "7; DROP TABLE")
    assert len(service.calls) == 1
    assert harness.responses[-1] == {
        "text": kit.STALE,
        "response_type": "ephemeral",
        "replace_original": False,
    }


def test_reminders_agenda_submitted_dms_the_sharer_after_the_ack(harness: Harness) -> None:
    shared = Shared(session_id=7, title="Kick-off", first_time=True, messaged=3, recipients=3)
    service = Transcript(share_agenda=shared)
    reminders.register(harness.app, harness.router, reminders=cast(Any, service))
    values = {reminder_blocks.TEXT_BLOCK: {reminder_blocks.TEXT_INPUT: {"value": "1. Welcome"}}}

    assert ack_body(harness.submit(reminder_blocks.AGENDA_MODAL, "7", values)) == {}
    assert service.calls[0][1]["text"] == "1. Welcome"
    [dm] = harness.client.called("chat.postMessage")
    assert dm["channel"] == USER and "Kick-off" in dm["text"]


def test_checkins_stop_replaces_the_message(harness: Harness) -> None:
    service = Transcript(stop=None)
    checkins.register(harness.app, harness.router, checkins=cast(Any, service))

    harness.press(checkin_blocks.STOP, "41")
    assert service.calls == [("stop", {"team_id": TEAM, "user_id": USER, "delivery_id": 41})]
    assert harness.responses == [{"text": checkin_blocks.STOPPED_TEXT, "replace_original": True}]


def test_checkins_pause_without_a_day_is_a_field_error_and_saves_nothing(
    harness: Harness,
) -> None:
    service = Transcript()
    checkins.register(harness.app, harness.router, checkins=cast(Any, service))

    answer = ack_body(harness.submit(checkin_blocks.PAUSE_MODAL, "41", {}))
    assert answer == {
        "response_action": "errors",
        "errors": {"until": "Pick the day you are back."},
    }
    assert service.calls == []


def test_projects_fields_and_refusals_go_under_the_inputs(harness: Harness) -> None:
    service = Transcript(update_agreement=InvalidFields({"agreement": "Too long."}))
    projects.register(harness.app, harness.router, projects=cast(Any, service))
    values = {"agreement": {project_blocks.INPUT: {"value": "Be kind"}}}

    answer = ack_body(harness.submit(project_blocks.AGREEMENT_MODAL, "3", values))
    assert answer == {"response_action": "errors", "errors": {"agreement": "Too long."}}
    assert service.calls[0][1] == {
        "team_id": TEAM,
        "user_id": USER,
        "project_id": 3,
        "agreement": "Be kind",
    }
    service.answers["update_agreement"] = NotCoordinator(["UCOORD"])
    answer = ack_body(harness.submit(project_blocks.AGREEMENT_MODAL, "3", values))
    assert "ask your coordinator (<@UCOORD>)" in answer["errors"]["agreement"]
    service.answers["update_agreement"] = None
    assert ack_body(harness.submit(project_blocks.AGREEMENT_MODAL, "3", values)) == {}


def test_projects_onboarding_button_with_a_forged_person_is_stale(harness: Harness) -> None:
    service = Transcript()
    projects.register(harness.app, harness.router, projects=cast(Any, service))

    harness.press(project_blocks.EDIT_ONBOARDING, "3:not-a-user")
    assert harness.responses[-1]["text"] == projects.STALE
    assert harness.client.called("views.open") == []


def test_endings_open_feelings_opens_the_form_or_answers_the_refusal(harness: Harness) -> None:
    service = Transcript(feelings_form=AccessError("The feelings collection has closed."))
    endings.register(
        harness.app, harness.router, endings=cast(Any, service), reports=cast(Any, Transcript())
    )

    harness.press(ending_blocks.OPEN_FEELINGS, "5")
    assert harness.responses == [
        {
            "text": "The feelings collection has closed.",
            "response_type": "ephemeral",
            "replace_original": False,
        }
    ]
    assert harness.client.called("views.open") == []


def test_endings_start_renames_the_service_fields_to_their_blocks(harness: Harness) -> None:
    service = Transcript(start=InvalidFields({"celebration": "Pick a time too."}))
    endings.register(
        harness.app, harness.router, endings=cast(Any, service), reports=cast(Any, Transcript())
    )
    values: dict[str, dict[str, Any]] = {
        ending_blocks.DEADLINE: {ending_blocks.VALUE: {"selected_date": "2027-02-01"}},
        ending_blocks.FOLLOW_UP: {ending_blocks.VALUE: {"selected_option": {"value": "6"}}},
    }
    answer = ack_body(harness.submit(ending_blocks.START_MODAL, "5", values))
    assert answer == {
        "response_action": "errors",
        "errors": {ending_blocks.CELEBRATION_DAY: "Pick a time too."},
    }


def test_debriefs_skip_after_the_summary_is_refused_ephemerally(harness: Harness) -> None:
    closed = DebriefClosed("The summary is out; debriefs of that session are closed.")
    service = Transcript(skip=closed)
    debriefs.register(
        harness.app, harness.router, debriefs=cast(Any, service), sessions=cast(Any, Transcript())
    )

    harness.press(debrief_blocks.SKIP_DEBRIEF, "9")
    assert service.calls == [("skip", {"team_id": TEAM, "user_id": USER, "session_id": 9})]
    assert harness.responses[-1]["text"] == closed.message
    assert harness.responses[-1]["replace_original"] is False


def test_home_buttons_answer_refusals_in_the_dm(harness: Harness) -> None:
    service = Transcript(agreement=NotCoordinator([]))
    home.register(
        harness.app,
        harness.router,
        home=cast(Any, service),
        timelines=cast(Any, Transcript()),
        client=harness.client,
    )

    # as Slack sends a press on a Home: the view it was in, and no response_url
    harness.press(home_blocks.AGREEMENT, "3", view={"type": "home"}, response_url=None)
    [dm] = harness.client.called("chat.postMessage")
    assert dm["channel"] == USER and "Only coordinators" in dm["text"]
    assert harness.client.called("views.open") == [] and harness.responses == []


def test_sessions_move_form_without_a_date_and_a_stale_cancel(harness: Harness) -> None:
    service = Transcript()
    sessions.register(harness.app, harness.router, sessions=cast(Any, service))

    answer = ack_body(harness.submit(session_blocks.MOVE_CALLBACK, "12", {}))
    assert answer == {
        "response_action": "errors",
        "errors": {"date": "Pick a date.", "time": "Pick a start time."},
    }
    values = {
        "date": {session_blocks.VALUE: {"selected_date": "2027-03-01"}},
        "time": {session_blocks.VALUE: {"selected_time": "10:00"}},
    }
    answer = ack_body(harness.submit(session_blocks.MOVE_CALLBACK, "twelve", values))
    assert answer == {"response_action": "errors", "errors": {"date": sessions.STALE_FORM}}
    harness.press(session_blocks.CANCEL_ACTION, "")
    assert harness.responses[-1]["text"] == sessions.STALE_BUTTON
    assert service.calls == []
