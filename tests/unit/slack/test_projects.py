"""Projects and people in Slack: parsing /cobot add and remove, and the Block Kit built."""

from __future__ import annotations

import json
from datetime import date
from datetime import timedelta

import pytest

from cobot.domain.roles import Role
from cobot.domain.sessions import LEAD_TIME_LABELS
from cobot.domain.sessions import LeadTimes
from cobot.sandbox import blockkit
from cobot.services.projects import LeadTimeSettings
from cobot.services.projects import Onboarding
from cobot.services.projects import People
from cobot.services.projects import PeopleChange
from cobot.services.projects import ProjectView
from cobot.services.projects import Removal
from cobot.slack.blocks import projects as blocks
from cobot.slack.listeners.projects import AddPeople
from cobot.slack.listeners.projects import parse_add
from cobot.slack.listeners.projects import parse_mentions


def view(**overrides: object) -> ProjectView:
    base: dict[str, object] = {
        "id": 7,
        "name": "Carers <network>",
        "aims": "",
        "agreement": "",
        "timezone": "Europe/London",
        "start_date": None,
        "end_date": None,
        "coordinators": ("UCORA",),
        "counts": ((Role.COORDINATOR, 1),),
        "viewer_role": Role.COORDINATOR,
    }
    base.update(overrides)
    return ProjectView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["<@UA|ann>", "<@UB>", "as", "participant"], AddPeople(["UA", "UB"], Role.PARTICIPANT)),
        (["<@UA>", "AS", "a", "Facilitator"], AddPeople(["UA"], Role.PRACTITIONER)),
        (["<@UA>", "as", "project", "team"], AddPeople(["UA"], Role.PROJECT_TEAM)),
        (["<@UA>", "as", "steering", "group"], AddPeople(["UA"], Role.STEERING)),
        (["<@UA>", "as", "oversight", "group"], AddPeople(["UA"], Role.OVERSIGHT)),
    ],
)
def test_add_is_parsed(args: list[str], expected: AddPeople) -> None:
    assert parse_add(args) == expected


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["<@UA>", "participant"], "Say which role after `as`"),
        (["as", "participant"], "Mention the people with @"),
        (["@ann", "as", "participant"], "“@ann” is not a mention"),
        (["<@UA>", "as", "boss"], "“boss” is not a role I know"),
        (["<@UA>", "as"], "“nothing” is not a role I know"),
    ],
)
def test_bad_add_says_what_is_wrong_and_gives_the_exact_usage(
    args: list[str], problem: str
) -> None:
    answer = parse_add(args)
    assert isinstance(answer, str)
    assert problem in answer and answer.endswith(blocks.ADD_USAGE)


def test_mentions_for_remove() -> None:
    assert parse_mentions(["<@UA|ann>", "<@W2>"]) == ["UA", "W2"]
    assert isinstance(parse_mentions([]), str)
    assert isinstance(parse_mentions(["<#C1|general>"]), str)


def within_limits(payload: object) -> None:
    """Slack's limits on what we build: blocks, sections, titles, labels."""
    if isinstance(payload, dict):
        if payload.get("type") == "modal":
            assert len(payload["title"]["text"]) <= 24
            assert len(payload["blocks"]) <= 100
            assert len(payload["private_metadata"]) <= 3000
        if payload.get("type") == "section" and "text" in payload:
            assert len(payload["text"]["text"]) <= 3000
        if payload.get("type") == "button":
            assert len(payload["text"]["text"]) <= 75
        for value in payload.values():
            within_limits(value)
    elif isinstance(payload, list):
        for item in payload:
            within_limits(item)


def test_created_message_says_what_to_do_next() -> None:
    shown = json.dumps(blocks.created_blocks(view()))
    for step in ("/cobot project edit", "/cobot agreement", "/cobot add", "/cobot session add"):
        assert step in shown
    assert "Carers &lt;network&gt;" in shown  # names cannot break mrkdwn


def test_empty_aims_say_who_can_set_them_and_only_coordinators_get_a_button() -> None:
    shown = json.dumps(blocks.aims_blocks(view(viewer_role=Role.PARTICIPANT)))
    assert "no aims and objectives yet" in shown and "<@UCORA>" in shown
    assert blocks.EDIT_PROJECT not in shown
    assert blocks.EDIT_PROJECT in json.dumps(blocks.aims_blocks(view(aims="Be heard")))


def test_agreement_empty_state_explains_and_the_button_is_for_coordinators() -> None:
    empty = json.dumps(blocks.agreement_blocks(view(viewer_role=None)))
    assert "terms of reference" in empty and "at the outset" in empty
    assert blocks.EDIT_AGREEMENT not in empty
    full = blocks.agreement_blocks(view(agreement="We listen. <!channel>"))
    assert "We listen. &lt;!channel&gt;" in json.dumps(full)
    assert blocks.EDIT_AGREEMENT in json.dumps(full)


def test_people_are_listed_by_role_with_a_warning_over_twelve() -> None:
    many = tuple(f"U{i:02d}" for i in range(13))
    people = People(
        project_name="Carers",
        groups=((Role.COORDINATOR, ("UCORA",)), (Role.PARTICIPANT, many)),
    )
    rendered = blocks.people_blocks(people)
    shown = json.dumps(rendered)
    assert "Coordinators* (1)" in shown and "Participants* (13)" in shown
    assert "every voice can be heard" in shown
    within_limits(rendered)


def test_change_and_removal_texts() -> None:
    text = blocks.people_change_text(
        PeopleChange(
            role=Role.PRACTITIONER,
            added=("UA",),
            changed=(("UB", Role.PARTICIPANT),),
            unchanged=("UC",),
        )
    )
    assert "Added <@UA> as practitioner (facilitator)." in text
    assert "<@UB> was a participant, and is now a practitioner (facilitator)." in text
    assert "<@UC> already is a practitioner (facilitator): nothing changed." in text
    removal = blocks.removal_text(Removal(removed=(("UA", Role.STEERING),), not_members=("UZ",)))
    assert (
        "Removed <@UA> (steering group)." in removal and "<@UZ> is not in this project" in removal
    )


def test_onboarding_list_and_modal() -> None:
    items = [Onboarding(7, f"U{i:03d}", frozenset({"briefing"})) for i in range(60)]
    rendered = blocks.onboarding_blocks(items)
    assert len(rendered) <= 50
    assert "12 more" in json.dumps(rendered[-1])
    assert rendered[1]["accessory"]["value"] == "7:U000"
    within_limits(rendered)
    modal = blocks.onboarding_modal(items[0])
    within_limits(modal)
    [checkboxes] = [b["element"] for b in modal["blocks"] if b.get("block_id") == "items"]
    assert [o["value"] for o in checkboxes["initial_options"]] == ["briefing"]
    assert modal["private_metadata"] == "7:U000"
    untouched = blocks.onboarding_modal(Onboarding(7, "UA", frozenset()))
    assert "initial_options" not in json.dumps(untouched)  # Slack refuses an empty list


def test_project_modal_prefills_every_field() -> None:
    modal = blocks.project_modal(
        view(aims="Be heard", start_date=date(2026, 4, 1), end_date=date(2026, 6, 30))
    )
    within_limits(modal)
    by_id = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert by_id["name"]["initial_value"] == "Carers <network>"
    assert by_id["aims"]["multiline"] is True
    assert by_id["timezone"]["initial_option"]["value"] == "Europe/London"
    assert by_id["start_date"]["initial_date"] == "2026-04-01"
    assert by_id["end_date"]["initial_date"] == "2026-06-30"


def test_settings_modal_has_one_prefilled_input_per_lead_time() -> None:
    lead = LeadTimes(agenda_before=timedelta(days=4), debrief_within=timedelta(hours=12))
    modal = blocks.settings_modal(LeadTimeSettings(3, "Carers", lead))
    within_limits(modal)
    inputs = {b["block_id"]: b for b in modal["blocks"] if b["type"] == "input"}
    assert set(inputs) == set(LEAD_TIME_LABELS)
    assert inputs["agenda_before"]["element"]["initial_value"] == "4 days"
    assert inputs["debrief_within"]["element"]["initial_value"] == "12 hours"
    assert inputs["agenda_before"]["label"]["text"] == LEAD_TIME_LABELS["agenda_before"]
    assert "case study" in json.dumps(modal["blocks"][0])


def test_people_are_added_as_participants_and_to_groups() -> None:
    """The demo read "Added @Pat, @Priya as participant" and "Added @Olive as oversight
    group": several people take the plural, a group is joined."""
    many = blocks.people_change_text(PeopleChange(Role.PARTICIPANT, ("UA", "UB"), (), ()))
    assert many.startswith("Added <@UA>, <@UB> as participants.")
    group = blocks.people_change_text(
        PeopleChange(Role.OVERSIGHT, ("UA",), (("UB", Role.COORDINATOR),), ())
    )
    assert "Added <@UA> to the oversight group." in group
    assert "<@UB> was a coordinator, and is now in the oversight group." in group
    staff = blocks.people_change_text(PeopleChange(Role.PRACTITIONER, ("UA", "UB"), (), ()))
    assert "as practitioners (facilitators)." in staff


def test_the_time_zone_is_chosen_from_every_zone_in_groups_slack_accepts() -> None:
    modal = blocks.project_modal(view())
    zone = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "timezone")
    groups = zone["option_groups"]
    offered = [o["value"] for g in groups for o in g["options"]]
    assert max(len(g["options"]) for g in groups) <= 100 and len(groups) <= 100
    assert len(offered) == len(set(offered)) > 300
    assert {"Europe/London", "America/Argentina/Buenos_Aires", "Pacific/Auckland"} <= set(offered)
    # America has more zones than one group holds: it is split, and labelled by letter
    america = [g["label"]["text"] for g in groups if g["label"]["text"].startswith("America")]
    assert len(america) == 2
    assert america[0].startswith("America (A to ")
    # a zone stored before the select (UTC, outside the areas) stays chosen
    kept = blocks.project_modal(view(timezone="UTC"))
    zone = next(b["element"] for b in kept["blocks"] if b.get("block_id") == "timezone")
    assert zone["option_groups"][0]["label"]["text"] == "Current"
    assert zone["initial_option"]["value"] == "UTC"
    assert blockkit.problems(kept["blocks"]) == []
