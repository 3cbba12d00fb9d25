"""Projects and people end to end: signed commands, buttons and modals through the emulator."""

from __future__ import annotations

import json
from datetime import date
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cobot.domain.sessions import LeadTimes
from cobot.sandbox.client import HttpResult
from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import ack_body
from cobot.sandbox.stack import SIGNING_SECRET
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import projects as blocks
from cobot.storage.db import transaction
from cobot.storage.models import Member
from cobot.storage.models import Project

CHANNEL = "C0PROJECT"


def body_of(result: HttpResult) -> dict[str, Any]:
    """What the person sees from a slash command's ack (JSON, or plain text)."""
    assert result.status == 200, result.text
    return ack_body(result)


def shown(result: HttpResult) -> str:
    """Everything visible in an ack: text and blocks."""
    body = body_of(result)
    return str(body.get("text", "")) + json.dumps(body.get("blocks", []), ensure_ascii=False)


def cobot(slack: SlackClient, user: str, text: str, channel: str = CHANNEL) -> HttpResult:
    return slack.slash_command(user_id=user, text=text, channel_id=channel)


def start_project(slack: SlackClient, user: str = "UCOORD", name: str = "Carers network") -> None:
    assert "now lives in this channel" in shown(cobot(slack, user, f"project new {name}"))


def project_row(stack: LocalStack) -> Project:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        project = session.scalar(select(Project).where(Project.channel_id == CHANNEL))
        assert project is not None
        session.expunge(project)
        return project


def roles(stack: LocalStack) -> dict[str, str]:
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        rows = session.scalars(select(Member).join(Project).where(Project.channel_id == CHANNEL))
        return {m.user_id: m.role for m in rows}


def open_modal(emulator: SlackEmulator, callback_id: str) -> dict[str, Any]:
    emulator.wait_for("views.open", where=lambda c: c.response.get("ok") is True)
    [view] = [v for v in emulator.open_views if v["callback_id"] == callback_id]
    return view


def text_values(view: dict[str, Any], **typed: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The state Slack sends: every text input as prefilled, with `typed` overriding."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        block_id = block["block_id"]
        if element["type"] == "plain_text_input":
            value = typed.get(block_id, element.get("initial_value"))
            values[block_id] = {"value": {"type": "plain_text_input", "value": value}}
        elif element["type"] == "datepicker":
            value = typed.get(block_id, element.get("initial_date"))
            values[block_id] = {"value": {"type": "datepicker", "selected_date": value}}
        elif element["type"] == "static_select":
            value = typed.get(block_id, (element.get("initial_option") or {}).get("value"))
            option = {"value": value} if value is not None else None
            values[block_id] = {"value": {"type": "static_select", "selected_option": option}}
    return values


def test_create_a_project_and_the_coordinator_is_stored(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    emulator.add_user("UTOKYO", name="kenji", tz="Asia/Tokyo")
    answer = cobot(slack, "UTOKYO", "project new Carers network")
    body = body_of(answer)
    assert body.get("response_type", "ephemeral") == "ephemeral"
    seen = shown(answer)
    assert "*Carers network* now lives in this channel, and you are its coordinator" in seen
    assert "Asia/Tokyo" in seen and "/cobot agreement" in seen and "/cobot add" in seen
    stored = project_row(stack)
    assert (stored.name, stored.team_id, stored.timezone) == (
        "Carers network",
        "T0SANDBOX",
        "Asia/Tokyo",
    )
    assert LeadTimes.from_json(stored.lead_times) == LeadTimes()
    assert roles(stack) == {"UTOKYO": "coordinator"}
    # one project per channel
    again = shown(cobot(slack, "UCOORD", "project new Another"))
    assert "already has a project, “Carers network”" in again and "<@UTOKYO>" in again
    assert "Give the project a name" in shown(cobot(slack, "UCOORD", "project new", "C0OTHER"))
    overview = shown(cobot(slack, "UPART", "project"))
    assert "Coordinators: <@UTOKYO>" in overview and "aims and objectives" in overview
    assert blocks.EDIT_PROJECT not in overview
    # help lists the group
    assert "Projects and people" in shown(cobot(slack, "UCOORD", "help"))


def test_a_non_coordinator_cannot_add_and_is_told_who_to_ask(
    stack: LocalStack, slack: SlackClient
) -> None:
    start_project(slack)
    cobot(slack, "UCOORD", "add <@UPART|pat> as participant")
    answer = shown(cobot(slack, "UPART", "add <@UOTHER> as coordinator"))
    assert "Only coordinators can change this project: ask your coordinator (<@UCOORD>)" in answer
    assert roles(stack) == {"UCOORD": "coordinator", "UPART": "participant"}


def test_add_remove_people_and_role_changes(stack: LocalStack, slack: SlackClient) -> None:
    start_project(slack)
    added = shown(cobot(slack, "UCOORD", "add <@UPART|pat> <@UFAC> as participants"))
    assert "Added <@UPART>, <@UFAC> as participants." in added and "/cobot onboarding" in added
    changed = shown(cobot(slack, "UCOORD", "add <@UFAC|fay> as facilitator"))
    assert "<@UFAC> was a participant, and is now a practitioner (facilitator)." in changed
    same = shown(cobot(slack, "UCOORD", "add <@UFAC> as practitioner"))
    assert "already is a practitioner (facilitator): nothing changed" in same
    assert roles(stack) == {"UCOORD": "coordinator", "UPART": "participant", "UFAC": "practitioner"}

    people = shown(cobot(slack, "UPART", "people"))
    assert (
        people.index("Coordinators") < people.index("Practitioners") < people.index("Participants")
    )
    assert "Only members" in shown(cobot(slack, "USTRANGER", "people"))

    removed = shown(cobot(slack, "UCOORD", "remove <@UFAC|fay> <@UNOBODY>"))
    assert "Removed <@UFAC> (practitioner (facilitator))." in removed
    assert "<@UNOBODY> is not in this project" in removed
    assert roles(stack) == {"UCOORD": "coordinator", "UPART": "participant"}


def test_bad_add_and_remove_answer_with_the_usage_and_change_nothing(
    stack: LocalStack, slack: SlackClient
) -> None:
    start_project(slack)
    for text in (
        "add as participant",
        "add <@UPART> as wizard",
        "add <@UPART> participant",
        "add pat as participant",
    ):
        answer = shown(cobot(slack, "UCOORD", text))
        assert blocks.ADD_USAGE in answer, text
    assert blocks.REMOVE_USAGE in shown(cobot(slack, "UCOORD", "remove"))
    assert roles(stack) == {"UCOORD": "coordinator"}


def test_the_last_coordinator_is_protected(stack: LocalStack, slack: SlackClient) -> None:
    start_project(slack)
    refused = shown(cobot(slack, "UCOORD", "remove <@UCOORD>"))
    assert "only coordinator" in refused and "a project always needs one" in refused
    demoted = shown(cobot(slack, "UCOORD", "add <@UCOORD> as participant"))
    assert "only coordinator" in demoted
    assert roles(stack) == {"UCOORD": "coordinator"}
    cobot(slack, "UCOORD", "add <@UBEA> as coordinator")
    assert "now a participant" in shown(cobot(slack, "UCOORD", "add <@UCOORD> as participant"))
    assert roles(stack) == {"UCOORD": "participant", "UBEA": "coordinator"}


def test_project_edit_modal_rejects_a_bad_zone_inline_then_saves(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    assert "Only coordinators" in shown(cobot(slack, "UPART", "project edit"))
    assert body_of(cobot(slack, "UCOORD", "project edit")) == {}
    view = open_modal(emulator, blocks.PROJECT_MODAL)
    assert view["private_metadata"] == str(project_row(stack).id)

    # the time zone is a select of every zone the machine knows, offered in Slack's groups
    zone = next(b["element"] for b in view["blocks"] if b.get("block_id") == "timezone")
    assert zone["type"] == "static_select"
    assert zone["initial_option"]["value"] == "Europe/London"
    offered = [o["value"] for g in zone["option_groups"] for o in g["options"]]
    assert {"Europe/Dublin", "America/New_York", "Asia/Tokyo"} <= set(offered)
    # a zone no select offers (a forged or stale submission) is still refused inline
    bad = slack.view_submission(
        user_id="UCOORD",
        view=view,
        values=text_values(
            view, aims="Shape the carers' pathway", timezone="Mars/Olympus", start_date="2026-05-01"
        ),
    )
    errors = body_of(bad)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"timezone"}
    assert "“Mars/Olympus” is not a time zone I know" in errors["errors"]["timezone"]
    assert [v["id"] for v in emulator.open_views] == [view["id"]]  # still open
    unchanged = project_row(stack)
    assert (unchanged.aims, unchanged.timezone, unchanged.start_date) == ("", "Europe/London", None)

    backwards = slack.view_submission(
        user_id="UCOORD",
        view=view,
        values=text_values(view, start_date="2026-05-01", end_date="2026-04-01"),
    )
    assert set(body_of(backwards)["errors"]) == {"end_date"}

    good = slack.view_submission(
        user_id="UCOORD",
        view=view,
        values=text_values(
            view,
            name="Carers pathway",
            aims="Shape the carers' pathway",
            timezone="Europe/Dublin",
            start_date="2026-05-01",
            end_date="2026-07-31",
        ),
    )
    assert good.status == 200 and body_of(good).get("response_action") is None
    assert emulator.open_views == []
    saved = project_row(stack)
    assert (saved.name, saved.aims, saved.timezone) == (
        "Carers pathway",
        "Shape the carers' pathway",
        "Europe/Dublin",
    )
    assert (saved.start_date, saved.end_date) == (date(2026, 5, 1), date(2026, 7, 31))
    aims = shown(cobot(slack, "UPART", "aims"))
    assert "Shape the carers" in aims and blocks.EDIT_PROJECT not in aims


def test_a_forged_modal_submission_from_a_non_coordinator_saves_nothing(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    cobot(slack, "UCOORD", "project edit")
    view = open_modal(emulator, blocks.PROJECT_MODAL)
    result = slack.view_submission(
        user_id="UPART", view=view, values=text_values(view, aims="hijacked")
    )
    assert "Only coordinators" in body_of(result)["errors"]["name"]
    assert project_row(stack).aims == ""


def test_aims_empty_state_names_who_can_set_them(stack: LocalStack, slack: SlackClient) -> None:
    start_project(slack)
    answer = shown(cobot(slack, "UPART", "aims"))
    assert "no aims and objectives yet" in answer and "<@UCOORD>" in answer


def test_agreement_is_explained_then_edited_in_a_modal(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    for_others = shown(cobot(slack, "UPART", "agreement"))
    assert "no group agreement yet" in for_others and "terms of reference" in for_others
    assert blocks.EDIT_AGREEMENT not in for_others
    answer = body_of(cobot(slack, "UCOORD", "agreement"))
    [edit] = [
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == blocks.EDIT_AGREEMENT
    ]

    # a participant replaying the button is refused where they clicked
    slack.block_actions(
        user_id="UPART",
        actions=[{"action_id": edit["action_id"], "value": edit["value"]}],
        channel_id=CHANNEL,
    )
    emulator.wait_for("response_url")
    assert "Only coordinators" in emulator.ephemerals("UPART")[-1]["text"]
    assert emulator.open_views == []

    slack.block_actions(
        user_id="UCOORD",
        actions=[{"action_id": edit["action_id"], "value": edit["value"]}],
        channel_id=CHANNEL,
    )
    view = open_modal(emulator, blocks.AGREEMENT_MODAL)
    too_long = slack.view_submission(
        user_id="UCOORD", view=view, values=text_values(view, agreement="x" * 3001)
    )
    assert "agreement" in body_of(too_long)["errors"]
    assert project_row(stack).agreement == ""
    text = "We listen to each other.\nWhat is said here stays here."
    done = slack.view_submission(
        user_id="UCOORD", view=view, values=text_values(view, agreement=text)
    )
    assert done.status == 200 and emulator.open_views == []
    assert project_row(stack).agreement == text
    assert "What is said here stays here." in shown(cobot(slack, "UPART", "agreement"))


def test_onboarding_is_ticked_with_a_button_and_a_modal(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    cobot(slack, "UCOORD", "add <@UPART> <@UPAM> as participant")
    assert "Only coordinators" in shown(cobot(slack, "UPART", "onboarding"))
    listing = body_of(cobot(slack, "UCOORD", "onboarding"))
    assert "0 of 2 finished" in json.dumps(listing["blocks"])
    [button] = [
        b["accessory"]
        for b in listing["blocks"]
        if b.get("accessory", {}).get("value", "").endswith(":UPART")
    ]
    slack.block_actions(
        user_id="UCOORD",
        actions=[{"action_id": button["action_id"], "value": button["value"]}],
        channel_id=CHANNEL,
    )
    view = open_modal(emulator, blocks.ONBOARDING_MODAL)
    ticked = [{"text": {"type": "plain_text", "text": "x"}, "value": v} for v in ("briefing",)]
    ticked.append({"text": {"type": "plain_text", "text": "y"}, "value": "access_needs"})
    result = slack.view_submission(
        user_id="UCOORD",
        view=view,
        values={"items": {"value": {"type": "checkboxes", "selected_options": ticked}}},
    )
    assert result.status == 200 and emulator.open_views == []
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as session:
        row = session.scalar(select(Member).where(Member.user_id == "UPART"))
        assert row is not None
        assert row.briefing_done_at is not None and row.access_needs_done_at is not None
        assert row.training_done_at is None
    project_id = project_row(stack).id
    assert stack.runtime.projects.unfinished_onboarding(project_id) == [
        ("UPART", ["Co-production training done"]),
        (
            "UPAM",
            ["One-to-one briefing call done", "Co-production training done", "Access needs noted"],
        ),
    ]
    again = json.dumps(body_of(cobot(slack, "UCOORD", "onboarding"))["blocks"], ensure_ascii=False)
    assert "✅ One-to-one briefing call done · ⬜ Co-production training done" in again


def test_settings_modal_rejects_a_bad_duration_inline_then_stores(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    assert "Only coordinators" in shown(cobot(slack, "UPART", "settings"))
    cobot(slack, "UCOORD", "settings")
    view = open_modal(emulator, blocks.SETTINGS_MODAL)
    prefilled = text_values(view)
    assert prefilled["agenda_before"]["value"]["value"] == "3 days"
    bad = slack.view_submission(
        user_id="UCOORD", view=view, values=text_values(view, agenda_before="a few days")
    )
    errors = body_of(bad)["errors"]
    assert list(errors) == ["agenda_before"]
    assert "“a few days” is not a duration I understand" in errors["agenda_before"]
    assert LeadTimes.from_json(project_row(stack).lead_times) == LeadTimes()
    good = slack.view_submission(
        user_id="UCOORD",
        view=view,
        values=text_values(view, agenda_before="5 days", notes_after="36h"),
    )
    assert good.status == 200 and emulator.open_views == []
    stored = LeadTimes.from_json(project_row(stack).lead_times)
    assert stored.agenda_before == timedelta(days=5)
    assert stored.notes_after == timedelta(hours=36)
    assert stack.runtime is not None
    assert stack.runtime.projects.lead_times(project_row(stack).id) == stored


def test_another_workspace_cannot_see_or_touch_the_project(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    start_project(slack)
    cobot(slack, "UCOORD", "add <@UPART> as participant")
    other = SlackClient(
        app_url=slack.app_url, signing_secret=SIGNING_SECRET, emulator=emulator, team_id="T0OTHER"
    )
    for text in ("aims", "agreement", "people", "project", "add <@UX> as participant"):
        assert "no co-production project in this channel" in shown(cobot(other, "UCOORD", text))
    # a button carrying this project's id, clicked from the other workspace
    other.block_actions(
        user_id="UCOORD",
        actions=[{"action_id": blocks.EDIT_PROJECT, "value": str(project_row(stack).id)}],
        channel_id=CHANNEL,
    )
    emulator.wait_for("response_url")
    assert "no co-production project" in emulator.ephemerals("UCOORD")[-1]["text"]
    assert emulator.open_views == []
    assert roles(stack) == {"UCOORD": "coordinator", "UPART": "participant"}
