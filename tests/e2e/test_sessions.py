"""Sessions end to end: slash commands, modals and buttons the way Slack sends them."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import Driver
from cobot.sandbox.stack import LocalStack
from cobot.storage.db import transaction
from cobot.storage.models import CoSession
from cobot.storage.models import Delivery
from cobot.storage.models import Member
from tests.seeds import add_project

TEAM = "T0SANDBOX"
CHANNEL = "C0PROJ"
FACILITATORS = ["UF1", "UF2"]
PARTICIPANTS = [f"UP{i:02}" for i in range(1, 14)]
SESSIONS_LIST = {"ts": "1700000000.000100", "text": "sessions"}  # /cobot sessions
USAGE = '/cobot session add "<title>" <YYYY-MM-DD> <HH:MM> <duration> with'


@pytest.fixture
def project(stack: LocalStack) -> int:
    """A project in Europe/London with a coordinator, two practitioners, 13 participants."""
    assert stack.runtime is not None
    for user in ["UF1", "UF2", *PARTICIPANTS]:
        stack.emulator.add_user(user, name=user.lower())
    stack.emulator.add_channel(
        CHANNEL, name="recovery", members=["UCOORD", "UPART", *FACILITATORS, *PARTICIPANTS]
    )
    people = [("UCOORD", "coordinator"), ("UPART", "participant")]
    people += [(u, "practitioner") for u in FACILITATORS]
    people += [(u, "participant") for u in PARTICIPANTS]
    with transaction(stack.runtime.factory) as session:
        row = add_project(
            session,
            channel_id=CHANNEL,
            members=people,
            now=datetime.now(UTC),
            aims="Co-produce a recovery framework with people with lived experience.",
            timezone="Europe/London",
        )
        return row.id


def shown_text(value: Any) -> str:
    """Block Kit as one string, with typographic quotes kept as they are."""
    return json.dumps(value, ensure_ascii=False)


def soon(days: int) -> date:
    """A date safely in the future of the real clock the app runs on."""
    return datetime.now(UTC).date() + timedelta(days=days)


def rows(stack: LocalStack) -> list[CoSession]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        found = list(session.scalars(select(CoSession).order_by(CoSession.id)))
        for row in found:
            row.people  # noqa: B018 - load before the DB session closes
        return found


def form(
    *,
    title: str = "Kick-off",
    day: date,
    start: str = "10:00",
    duration: str = "2h",
    facilitators: list[str] | None = None,
    participants: list[str] | None = None,
    venue: str = "Town hall, room 3",
    objectives: str = "Agree our group agreement",
) -> dict[str, dict[str, dict[str, Any]]]:
    """view.state.values exactly as Slack sends each element type."""
    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "date": {"value": {"type": "datepicker", "selected_date": day.isoformat()}},
        "time": {"value": {"type": "timepicker", "selected_time": start}},
        "duration": {"value": {"type": "plain_text_input", "value": duration}},
        "venue": {"value": {"type": "plain_text_input", "value": venue}},
        "facilitators": {
            "value": {
                "type": "multi_users_select",
                "selected_users": FACILITATORS if facilitators is None else facilitators,
            }
        },
        "participants": {
            "value": {
                "type": "multi_users_select",
                "selected_users": PARTICIPANTS[:3] if participants is None else participants,
            }
        },
        "objectives": {"value": {"type": "plain_text_input", "value": objectives}},
    }


def add_one_line(driver: Driver, title: str, day: date, start: str = "10:00") -> str:
    text = f'session add "{title}" {day.isoformat()} {start} 2h with <@UF1|uf1> <@UF2>'
    return str(driver.command("UCOORD", text, channel_id=CHANNEL)["text"])


def channel_posts(stack: LocalStack, count: int) -> list[dict[str, Any]]:
    """The project channel's messages, once cobot has posted `count` of them."""
    stack.emulator.wait_for(
        "chat.postMessage",
        count=count,
        where=lambda c: c.args.get("channel") == CHANNEL and c.status == 200,
        timeout=15,
    )
    return stack.emulator.messages(CHANNEL)


def told(stack: LocalStack, user: str, count: int = 1) -> str:
    """The latest ephemeral answer to a button press, once it has arrived."""
    stack.emulator.wait_for("response_url", count=count)
    return str(stack.emulator.ephemerals(user)[-1]["text"])


# -- the add form -------------------------------------------------------------------------


def test_the_form_saves_utc_times_across_the_clocks_change_and_announces_it(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["facilitators"]["element"]["initial_users"] == FACILITATORS
    assert by_id["participants"]["element"]["initial_users"] == ["UPART", *PARTICIPANTS]
    assert by_id["duration"]["element"]["initial_value"] == "2h"
    # London springs forward on 28 March 2027: 10:00 local is 09:00 UTC that day
    body = driver.submit_modal("UCOORD", view, form(day=date(2027, 3, 28)))
    assert body["response_action"] == "update"
    assert "Saved *Kick-off*" in shown_text(body["view"])
    [row] = rows(stack)
    assert row.starts_at == datetime(2027, 3, 28, 9, tzinfo=UTC)
    assert row.ends_at == datetime(2027, 3, 28, 11, tzinfo=UTC)
    assert (row.venue, row.objectives, row.revision) == (
        "Town hall, room 3",
        "Agree our group agreement",
        1,
    )
    assert row.user_ids("facilitator") == FACILITATORS
    assert row.user_ids("participant") == PARTICIPANTS[:3]
    # the channel hears of it, aims first, with the time in each reader's zone
    [announced] = channel_posts(stack, 1)
    blocks = announced["blocks"]
    assert "Co-produce a recovery framework" in blocks[0]["text"]["text"]
    shown = shown_text(blocks)
    assert f"<!date^{int(row.starts_at.timestamp())}^" in shown
    assert "Agree our group agreement" in shown and "<@UF1>" in shown


def test_one_facilitator_is_refused_inline_and_nothing_is_stored(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, form(day=soon(40), facilitators=["UF1"]))
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"facilitators"}
    assert "at least two facilitators" in body["errors"]["facilitators"]
    assert [v["id"] for v in stack.emulator.open_views] == [view["id"]]  # still open
    assert rows(stack) == []


def test_thirteen_participants_are_saved_with_the_warning_shown(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, form(day=soon(40), participants=PARTICIPANTS))
    assert body["response_action"] == "update"
    shown = shown_text(body["view"])
    assert "13 participants" in shown and "every voice to be heard" in shown
    saved = stack.emulator.view(view["id"])
    assert saved is not None and saved["title"]["text"] == "Session saved"
    [row] = rows(stack)
    assert len(row.user_ids("participant")) == 13


def test_a_weekly_second_session_is_saved_with_the_squeezed_steps_named(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    assert "Saved" in add_one_line(driver, "Session 1", soon(40))
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, form(title="Session 2", day=soon(47)))
    assert body["response_action"] == "update"
    shown = shown_text(body["view"])
    assert "“Session 1” and “Session 2”" in shown
    assert "planning and amending the next session" in shown
    assert len(rows(stack)) == 2


def test_a_time_the_clocks_skip_is_refused_inline(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, form(day=date(2027, 3, 28), start="01:30"))
    assert body["response_action"] == "errors"
    assert "01:30 does not exist on 28 March 2027" in body["errors"]["time"]
    assert rows(stack) == []


def test_a_participant_cannot_open_the_form(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    body = driver.command("UPART", "session add", channel_id=CHANNEL)
    assert "Only coordinators can change this project" in body["text"]
    assert "<@UCOORD>" in body["text"]
    assert stack.emulator.calls_to("views.open") == []


# -- the one-liner ------------------------------------------------------------------------


def test_the_one_liner_schedules_with_every_participant(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    text = add_one_line(driver, "Kick-off", soon(30), "14:30")
    assert "Saved *Kick-off*" in text
    assert "14 participants" in text  # all of them: a warning about the group's size
    [row] = rows(stack)
    assert row.user_ids("facilitator") == FACILITATORS
    assert sorted(row.user_ids("participant")) == sorted(["UPART", *PARTICIPANTS])
    assert row.ends_at - row.starts_at == timedelta(hours=2)


@pytest.mark.parametrize(
    ("args", "wrong"),
    [
        ('"Kick-off" 2027-02-30 10:00 2h with <@UF1> <@UF2>', "“2027-02-30” is not a date"),
        ('"Kick-off" {day} 10:00 two hours with <@UF1> <@UF2>', "is not a duration"),
        ('"Kick-off" {day} 10:00 2h <@UF1> <@UF2>', "`with` is missing"),
    ],
)
def test_a_malformed_one_liner_says_what_was_wrong_and_changes_nothing(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int, args: str, wrong: str
) -> None:
    words = "session add " + args.format(day=soon(30))
    text = driver.command("UCOORD", words, channel_id=CHANNEL)["text"]
    assert wrong in text and USAGE in text
    assert rows(stack) == []


# -- the list and its buttons --------------------------------------------------------------


def test_the_list_shows_buttons_to_coordinators_only(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    [row] = rows(stack)
    coordinator = driver.command("UCOORD", "sessions", channel_id=CHANNEL)
    assert coordinator.get("response_type", "ephemeral") == "ephemeral"
    actions = [b for b in coordinator["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        "session_move",
        "session_edit",
        "poll_for_session",
        "session_cancel",
    ]
    assert actions[0]["elements"][3]["confirm"]["confirm"]["text"] == "Cancel the session"
    shown = shown_text(coordinator["blocks"])
    assert f"<!date^{int(row.starts_at.timestamp())}^" in shown and "2 hours" in shown
    participant = driver.command("UPART", "sessions", channel_id=CHANNEL)
    assert "Kick-off" in shown_text(participant["blocks"])
    assert not [b for b in participant["blocks"] if b["type"] == "actions"]


def test_move_from_the_button_changes_the_times_and_the_revision(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    [before] = rows(stack)
    [announced] = channel_posts(stack, 1)
    driver.press("UCOORD", announced, "session_move", value=str(before.id), channel_id=CHANNEL)
    stack.emulator.wait_for("views.open")
    modal = stack.emulator.open_views[-1]
    assert modal["callback_id"] == "session_move"
    target = soon(60)
    body = driver.submit_modal(
        "UCOORD",
        modal,
        {
            "date": {"value": {"type": "datepicker", "selected_date": target.isoformat()}},
            "time": {"value": {"type": "timepicker", "selected_time": "15:00"}},
        },
    )
    assert body["response_action"] == "update" and "Moved *Kick-off*" in shown_text(body)
    [after] = rows(stack)
    local = after.starts_at.astimezone(ZoneInfo("Europe/London"))
    assert (local.date(), local.hour, local.minute) == (target, 15, 0)
    assert after.ends_at - after.starts_at == timedelta(hours=2)
    assert after.revision == 2
    # the channel hears of the new time
    moved = channel_posts(stack, 2)[-1]
    assert "Session moved: Kick-off" in shown_text(moved["blocks"])
    assert f"<!date^{int(after.starts_at.timestamp())}^" in shown_text(moved["blocks"])


def test_edit_opens_the_form_prefilled_and_saves(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    [row] = rows(stack)
    driver.press("UCOORD", SESSIONS_LIST, "session_edit", value=str(row.id), channel_id=CHANNEL)
    stack.emulator.wait_for("views.open")
    modal = stack.emulator.open_views[-1]
    by_id = {b.get("block_id"): b for b in modal["blocks"]}
    assert by_id["title"]["element"]["initial_value"] == "Kick-off"
    assert by_id["date"]["element"]["initial_date"] == soon(30).isoformat()
    body = driver.submit_modal(
        "UCOORD", modal, form(title="Kick-off, renamed", day=soon(30), venue="Online")
    )
    assert body["response_action"] == "update"
    [after] = rows(stack)
    assert (after.title, after.venue, after.revision) == ("Kick-off, renamed", "Online", 1)


def test_cancel_from_the_button_marks_the_session_cancelled(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    [row] = rows(stack)
    channel_posts(stack, 1)
    driver.press("UCOORD", SESSIONS_LIST, "session_cancel", value=str(row.id), channel_id=CHANNEL)
    assert "Cancelled *Kick-off*" in told(stack, "UCOORD")
    [after] = rows(stack)
    assert after.status == "cancelled" and after.cancelled_at is not None
    # the announcement went out, so the channel is told it is off
    assert "is cancelled" in shown_text(channel_posts(stack, 2)[-1]["blocks"])
    assert "No sessions are scheduled" in shown_text(
        driver.command("UCOORD", "sessions", channel_id=CHANNEL)
    )


def test_a_forged_cancel_from_a_participant_is_refused_and_changes_nothing(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    [row] = rows(stack)
    driver.press("UPART", SESSIONS_LIST, "session_cancel", value=str(row.id), channel_id=CHANNEL)
    text = told(stack, "UPART")
    assert text.startswith("Only coordinators can change this project") and "<@UCOORD>" in text
    [after] = rows(stack)
    assert (after.status, after.cancelled_at, after.revision) == ("scheduled", None, 1)


# -- the calendar -------------------------------------------------------------------------


def test_calendar_uploads_a_parseable_ics(
    driver: Driver, stack: LocalStack, slack: SlackClient, project: int
) -> None:
    add_one_line(driver, "Kick-off", soon(30))
    add_one_line(driver, "Session 2", soon(60))
    first, second = rows(stack)
    driver.press(
        "UCOORD", SESSIONS_LIST, "session_cancel", value=str(second.id), channel_id=CHANNEL
    )
    told(stack, "UCOORD")
    driver.command("UPART", "calendar", channel_id=CHANNEL)
    stack.emulator.wait_for("files.completeUploadExternal")
    [file] = stack.emulator.files
    assert file.filename == "recovery-framework.ics" and file.channels == (CHANNEL,)
    events = {str(e["uid"]): e for e in Calendar.from_ical(file.content).walk("VEVENT")}
    kept = events[f"cobot-session-{first.id}@{TEAM}"]
    assert kept.decoded("dtstart") == first.starts_at
    assert str(kept["summary"]) == "Kick-off" and str(kept["status"]) == "CONFIRMED"
    assert str(events[f"cobot-session-{second.id}@{TEAM}"]["status"]) == "CANCELLED"


# -- big sessions: saved after the ack ------------------------------------------------------

MANY = [f"UM{i:04}" for i in range(300)]


@pytest.fixture
def crowd(stack: LocalStack, project: int) -> list[str]:
    """300 more participants in the project (more than a session saves within its ack)."""
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as session:
        for user in MANY:
            session.add(
                Member(
                    project_id=project,
                    user_id=user,
                    role="participant",
                    added_by="UCOORD",
                    added_at=now,
                )
            )
    return MANY


def deliveries_of(stack: LocalStack, session_id: int) -> list[Delivery]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        return list(
            session.scalars(
                select(Delivery).where(
                    Delivery.subject_type == "session", Delivery.subject_id == session_id
                )
            )
        )


def test_a_big_session_is_acked_at_once_then_saved_and_the_form_says_so(
    driver: Driver, stack: LocalStack, slack: SlackClient, crowd: list[str]
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal("UCOORD", view, form(day=soon(40), participants=crowd))
    # the ack closes nothing and waits for nothing: the form says it is saving
    assert body["response_action"] == "update"
    assert "Saving the session" in shown_text(body["view"]) and "302 people" in shown_text(
        body["view"]
    )
    stack.emulator.wait_for("views.update", timeout=30)
    saved = stack.emulator.view(view["id"])
    assert saved is not None and saved["title"]["text"] == "Session saved"
    assert "Saved *Kick-off*" in shown_text(saved)
    [row] = rows(stack)
    assert len(row.user_ids("participant")) == 300
    owed = deliveries_of(stack, row.id)
    # the day-before and hour-before reminders of every participant
    for kind in ("reminder_day", "reminder_hour"):
        assert {d.target for d in owed if d.kind == kind} == set(crowd)


def test_a_big_session_that_breaks_a_rule_is_still_refused_inline(
    driver: Driver, stack: LocalStack, slack: SlackClient, crowd: list[str]
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    body = driver.submit_modal(
        "UCOORD", view, form(day=soon(40), facilitators=["UF1"], participants=crowd)
    )
    assert body["response_action"] == "errors"
    assert "at least two facilitators" in body["errors"]["facilitators"]
    assert rows(stack) == []
    assert stack.emulator.calls_to("views.update") == []


def test_moving_a_big_session_acks_then_moves_every_reminder(
    driver: Driver, stack: LocalStack, slack: SlackClient, crowd: list[str]
) -> None:
    view = driver.command_modal("UCOORD", "session add", channel_id=CHANNEL)
    driver.submit_modal("UCOORD", view, form(day=soon(40), participants=crowd))
    stack.emulator.wait_for("views.update", timeout=30)
    [row] = rows(stack)
    driver.press("UCOORD", SESSIONS_LIST, "session_move", value=str(row.id), channel_id=CHANNEL)
    stack.emulator.wait_for("views.open", count=2)
    modal = stack.emulator.open_views[-1]
    target = soon(60)
    body = driver.submit_modal(
        "UCOORD",
        modal,
        {
            "date": {"value": {"type": "datepicker", "selected_date": target.isoformat()}},
            "time": {"value": {"type": "timepicker", "selected_time": "15:00"}},
        },
    )
    assert body["response_action"] == "update" and "Saving the session" in shown_text(body)
    stack.emulator.wait_for("views.update", count=2, timeout=30)
    moved = stack.emulator.view(modal["id"])
    assert moved is not None and "Moved *Kick-off*" in shown_text(moved)
    [after] = rows(stack)
    assert after.revision == 2
    hour_before = after.starts_at - timedelta(hours=1)
    owed = [
        d
        for d in deliveries_of(stack, row.id)
        if d.kind == "reminder_hour" and d.status == "scheduled"
    ]
    assert {d.target for d in owed} == set(crowd) and {d.due_at for d in owed} == {hour_before}


def test_the_one_liner_for_a_big_project_answers_at_once_then_confirms(
    driver: Driver, stack: LocalStack, slack: SlackClient, crowd: list[str]
) -> None:
    text = f'session add "Big day" {soon(40).isoformat()} 10:00 2h with <@UF1> <@UF2>'
    acked = driver.command("UCOORD", text, channel_id=CHANNEL)
    assert "Saving the session for 316 people" in acked["text"]
    stack.emulator.wait_for("response_url", timeout=30)
    assert "Saved *Big day*" in stack.emulator.ephemerals("UCOORD")[-1]["text"]
    [row] = rows(stack)
    assert row.title == "Big day" and len(row.user_ids("participant")) == 314
