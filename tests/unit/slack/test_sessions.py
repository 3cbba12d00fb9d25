"""Reading session commands and forms, and the Block Kit they answer with."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy.exc import OperationalError

from cobot.domain.sessions import Problem
from cobot.services.sessions import Announcement
from cobot.services.sessions import SessionCheck
from cobot.services.sessions import SessionDraft
from cobot.services.sessions import SessionList
from cobot.services.sessions import SessionRejected
from cobot.services.sessions import SessionSaved
from cobot.services.sessions import SessionView
from cobot.slack.blocks.sessions import add_modal
from cobot.slack.blocks.sessions import announcement_message
from cobot.slack.blocks.sessions import edit_modal
from cobot.slack.blocks.sessions import form_errors
from cobot.slack.blocks.sessions import move_modal
from cobot.slack.blocks.sessions import one_liner_error_text
from cobot.slack.blocks.sessions import saved_modal
from cobot.slack.blocks.sessions import sessions_list
from cobot.slack.kit import Submission
from cobot.slack.listeners.sessions import FormError
from cobot.slack.listeners.sessions import Outcome
from cobot.slack.listeners.sessions import finish
from cobot.slack.listeners.sessions import parse_one_liner
from cobot.slack.listeners.sessions import read_new_time
from cobot.slack.listeners.sessions import read_session_form


def view(session_id: int = 7, **overrides: object) -> SessionView:
    values: dict[str, object] = {
        "id": session_id,
        "project_id": 1,
        "title": "Kick-off <!channel>",
        "starts_at": datetime(2027, 3, 28, 9, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 28, 10, 30, tzinfo=UTC),
        "venue": "Room 3",
        "objectives": "Agree the group agreement",
        "facilitators": ("UF1", "UF2"),
        "participants": ("UP1", "UP2", "UP3"),
        "status": "scheduled",
        "revision": 1,
        "timezone": "Europe/London",
    }
    values.update(overrides)
    return SessionView(**values)  # type: ignore[arg-type]


# -- the one-liner ------------------------------------------------------------------------


def test_a_one_liner_with_escaped_mentions_reads_every_part() -> None:
    data = parse_one_liner(
        ["Kick off", "2027-01-14", "10:00", "90m", "with", "<@UF1|ana>", "<@UF2>"]
    )
    assert (data.title, data.day, data.start) == ("Kick off", date(2027, 1, 14), time(10))
    assert data.duration == timedelta(minutes=90)
    assert data.facilitators == ("UF1", "UF2") and data.participants == ()


def test_an_unquoted_title_and_a_spaced_duration_still_read() -> None:
    data = parse_one_liner(["Kick", "off", "2027-01-14", "9:30", "1", "hour", "WITH", "<@UF1>"])
    assert (data.title, data.start, data.duration) == ("Kick off", time(9, 30), timedelta(hours=1))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["T", "2027-02-30", "10:00", "2h", "with", "<@U1>"], "“2027-02-30” is not a date"),
        (["T", "2027-01-14", "25:00", "2h", "with", "<@U1>"], "“25:00” is not a time"),
        (["T", "2027-01-14", "10:00", "2 fortnights", "with", "<@U1>"], "is not a duration"),
        (["T", "2027-01-14", "10:00", "2h", "<@U1>", "<@U2>"], "`with` is missing"),
        (["T", "2027-01-14", "10:00", "2h", "with", "@ana"], "“@ana” is not a person"),
        (["T", "2027-01-14", "10:00", "2h", "with"], "name the facilitators"),
        (["T"], "the date is missing"),
    ],
)
def test_each_malformed_part_is_named(args: list[str], expected: str) -> None:
    with pytest.raises(FormError) as caught:
        parse_one_liner(args)
    assert any(expected in p for p in caught.value.problems.values()), caught.value.problems


def test_the_error_text_carries_the_exact_usage() -> None:
    text = one_liner_error_text(["“x” is not a date"])
    assert '/cobot session add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with' in text
    assert "nothing was scheduled" in text


# -- the forms ----------------------------------------------------------------------------


def form_values(**overrides: dict[str, Any]) -> dict[str, Any]:
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Kick-off"}},
        "date": {"value": {"type": "datepicker", "selected_date": "2027-03-28"}},
        "time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        "duration": {"value": {"type": "plain_text_input", "value": "1h30m"}},
        "venue": {"value": {"type": "plain_text_input", "value": None}},
        "facilitators": {"value": {"type": "multi_users_select", "selected_users": ["UF1", "UF2"]}},
        "participants": {"value": {"type": "multi_users_select", "selected_users": ["UP1"]}},
        "objectives": {"value": {"type": "plain_text_input", "value": "Agree values"}},
    }
    values.update(overrides)
    return values


def test_the_form_reads_what_slack_sends() -> None:
    data = read_session_form(form_values())
    assert (data.day, data.start, data.duration) == (
        date(2027, 3, 28),
        time(10),
        timedelta(minutes=90),
    )
    assert data.facilitators == ("UF1", "UF2") and data.participants == ("UP1",)
    assert (data.venue, data.objectives) == ("", "Agree values")


def test_the_form_names_the_fields_it_cannot_read() -> None:
    with pytest.raises(FormError) as caught:
        read_session_form(
            form_values(
                date={"value": {"type": "datepicker", "selected_date": None}},
                duration={"value": {"type": "plain_text_input", "value": "soon"}},
            )
        )
    assert set(caught.value.problems) == {"date", "duration"}
    with pytest.raises(FormError):
        read_new_time({})


def test_problems_land_on_their_block_or_the_fallback() -> None:
    errors = form_errors(
        [Problem("facilitators", "two please"), Problem("title", "a"), Problem("title", "b")],
        blocks=("date", "time"),
        fallback="date",
    )
    assert errors == {"date": "two please a b"}


# -- Block Kit ------------------------------------------------------------------------------


def check_view(modal: dict[str, Any]) -> None:
    View(**modal).validate_json()
    assert len(modal["blocks"]) <= 100 and len(modal["title"]["text"]) <= 24


def test_the_modals_are_valid_and_prefilled() -> None:
    draft = SessionDraft(
        project_id=3,
        project_name="Recovery",
        timezone="Europe/London",
        practitioners=("UF1", "UF2"),
        participants=("UP1",),
    )
    add = add_modal(draft)
    check_view(add)
    by_id = {b.get("block_id"): b for b in add["blocks"]}
    assert by_id["facilitators"]["element"]["initial_users"] == ["UF1", "UF2"]
    assert by_id["duration"]["element"]["initial_value"] == "2h"
    assert add["private_metadata"] == "3"
    edit = edit_modal(view())
    check_view(edit)
    by_id = {b.get("block_id"): b for b in edit["blocks"]}
    assert by_id["date"]["element"]["initial_date"] == "2027-03-28"
    assert by_id["time"]["element"]["initial_time"] == "10:00"  # 09:00 UTC is 10:00 BST
    assert by_id["duration"]["element"]["initial_value"] == "1h30m"
    check_view(move_modal(view()))
    saved = SessionSaved(view=view(), warnings=(Problem("participants", "13 is a lot"),))
    check_view(saved_modal(saved, heading="Session saved"))


def test_the_list_shows_buttons_only_to_coordinators_and_stays_under_50_blocks() -> None:
    many = tuple(view(i) for i in range(40))
    for can_change in (True, False):
        blocks = sessions_list(
            SessionList(
                project_id=1,
                project_name="Recovery",
                timezone="Europe/London",
                can_change=can_change,
                sessions=many,
            )
        )
        assert len(blocks) <= 50
        for block in blocks:
            Block.parse(block).validate_json()  # type: ignore[union-attr]
        has_buttons = any(b["type"] == "actions" for b in blocks)
        assert has_buttons is can_change
        assert "25 more" in json.dumps(blocks)


def test_typed_text_cannot_ping_the_channel() -> None:
    shown = json.dumps(sessions_list(SessionList(1, "R", "Europe/London", False, (view(),))))
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown


def test_the_announcement_puts_the_aims_first_and_uses_reader_time() -> None:
    message = announcement_message(
        Announcement(change="added", session=view(), project_name="R", aims="Write a framework")
    )
    assert "Write a framework" in message.blocks[0]["text"]["text"]
    shown = json.dumps(message.blocks)
    assert f"<!date^{int(datetime(2027, 3, 28, 9, tzinfo=UTC).timestamp())}^" in shown
    assert "Agree the group agreement" in shown
    assert [e["action_id"] for e in message.blocks[-2]["elements"]] == [
        "session_move",
        "session_edit",
        "poll_for_session",
        "session_cancel",
    ]
    cancelled = announcement_message(
        Announcement(change="cancelled", session=view(), project_name="R", aims="")
    )
    assert "is cancelled" in cancelled.blocks[0]["text"]["text"]


# -- saving a big session after the ack ------------------------------------------------------


class FormClient:
    """Records the form updates and messages `finish` sends; can say the form is gone."""

    def __init__(self, *, form_gone: bool = False) -> None:
        self.updates: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self._gone = form_gone

    def views_update(self, *, view_id: str, view: dict[str, Any]) -> None:
        if self._gone:
            raise SlackApiError("not_found", {"ok": False, "error": "not_found"})
        self.updates.append(view)

    def chat_postMessage(  # noqa: N802
        self, *, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        assert blocks is None
        self.messages.append(text)


def run_finish(
    client: FormClient, *, people: int, save: Callable[[], SessionSaved]
) -> list[dict[str, Any]]:
    answer = finish(
        Submission(
            body={"user": {"id": "UCOORD"}, "team": {"id": "T1"}}, view={"id": "V1"}, client=client
        ),
        lambda **_asked: SessionCheck(people=people, warnings=()),
        lambda **_asked: save(),
        Outcome(blocks=("title", "date"), fallback="title", heading="Session saved"),
    )
    # as kit.view answers: the ack shows the answer's view, then the work after the ack runs
    acks = [{"response_action": "update", "view": answer.view}]
    if answer.then is not None:
        answer.then()
    return acks


def test_a_small_session_is_saved_within_the_ack() -> None:
    client = FormClient()
    [ack] = run_finish(client, people=12, save=lambda: SessionSaved(view=view(), warnings=()))
    assert ack["response_action"] == "update" and "Saved *Kick-off" in json.dumps(ack["view"])
    assert client.updates == []


def test_a_big_session_acks_first_and_a_late_refusal_reaches_the_form_or_a_message() -> None:
    def refused() -> SessionSaved:
        raise SessionRejected([Problem("date", "“Session 1” is now on that day.")])

    client = FormClient()
    [ack] = run_finish(client, people=2000, save=refused)
    assert "Saving the session" in json.dumps(ack["view"]) and "2000 people" in json.dumps(ack)
    [update] = client.updates
    assert update["callback_id"] == "session_not_saved" and "is now on that day" in json.dumps(
        update, ensure_ascii=False
    )
    # the coordinator closed the form meanwhile: the result comes as a message
    gone = FormClient(form_gone=True)
    run_finish(gone, people=2000, save=lambda: SessionSaved(view=view(), warnings=()))
    [message] = gone.messages
    assert "Saved *Kick-off" in message


def test_a_database_failure_after_the_ack_is_told_not_left_saving() -> None:
    def broken() -> SessionSaved:
        raise OperationalError("INSERT", {}, Exception("database is gone"))

    client = FormClient()
    run_finish(client, people=500, save=broken)
    [update] = client.updates
    assert update["callback_id"] == "session_not_saved"
    assert "database did not answer" in json.dumps(update)
