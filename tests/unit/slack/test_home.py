"""Home blocks: Slack's limits on a big Home, the features' own buttons, validation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from slack_sdk.models.views import View

from cobot.domain.checkins import Aggregate
from cobot.domain.checkins import GroupFigures
from cobot.domain.roles import Role
from cobot.domain.timeline import RUNNING
from cobot.domain.timeline import Risk
from cobot.domain.timeline import RotaLine
from cobot.domain.timeline import Timeline
from cobot.services.home import ITEM_ACTION
from cobot.services.home import ITEM_AGENDA
from cobot.services.home import ITEM_CHECKIN
from cobot.services.home import ITEM_DEBRIEF
from cobot.services.home import ITEM_FEEDBACK
from cobot.services.home import ITEM_NOTES
from cobot.services.home import CheckinLine
from cobot.services.home import CoordinatorView
from cobot.services.home import Failure
from cobot.services.home import HomeView
from cobot.services.home import OnboardingLine
from cobot.services.home import OpenItem
from cobot.services.home import ProjectCard
from cobot.services.home import SessionLine
from cobot.slack.blocks import debriefs
from cobot.slack.blocks import reminders
from cobot.slack.blocks.checkins import MOOD_PREFIX
from cobot.slack.blocks.home import HOME_LIMIT
from cobot.slack.blocks.home import RETRY
from cobot.slack.blocks.home import agreement_modal
from cobot.slack.blocks.home import fit
from cobot.slack.blocks.home import home_view
from cobot.slack.blocks.home import welcome_home

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ZONE = "Europe/London"


def card(i: int, role: Role = Role.COORDINATOR) -> ProjectCard:
    return ProjectCard(
        i, f"Project {i} <b>", role, "Aims " * 200, True, ZONE, date(2026, 1, 1), date(2026, 12, 1)
    )


def coordinator(i: int) -> CoordinatorView:
    return CoordinatorView(
        project_id=i,
        name=f"Project {i}",
        timezone=ZONE,
        timeline=Timeline(RUNNING, 3, 17, NOW + timedelta(days=2), 200, 19),
        risks=tuple(
            Risk(s, f"Workshop {s}", "debriefs", NOW, True, ("UF1", "UF2")) for s in range(30)
        ),
        participants=40,
        onboarded=0,
        onboarding=tuple(OnboardingLine(f"UP{p:02d}", ("briefing", "training")) for p in range(40)),
        rota=tuple(RotaLine(s, f"Workshop {s}" * 10, NOW, ("UF1",), 13) for s in range(40)),
        failures=tuple(
            Failure(f, "reminder_day", "UP01", NOW, "user_not_found " * 50) for f in range(5)
        ),
        failures_total=60,
        checkins_on=True,
        wellbeing=Aggregate(
            total=GroupFigures("all", 9, 30, 3.4, 4),
            groups=(GroupFigures("participant", 6, 20, 3.1, 3),),
            hidden=("practitioner",),
        ),
        wellbeing_period="November 2026",
        wellbeing_open="December 2026",
    )


def big_home() -> HomeView:
    items = []
    for n, kind in enumerate(
        (ITEM_DEBRIEF, ITEM_FEEDBACK, ITEM_AGENDA, ITEM_NOTES, ITEM_ACTION, ITEM_CHECKIN) * 2
    ):
        items.append(
            OpenItem(kind, "Project 1", f"Workshop {n} " * 30, n + 1, NOW, ZONE, n % 2 == 0)
        )
    return HomeView(
        user_id="UCOORD",
        now=NOW,
        sessions=tuple(
            SessionLine(i, "Project 1", f"Workshop {i}", NOW, NOW, "Hall", ZONE, "facilitator")
            for i in range(5)
        ),
        items=tuple(items),
        items_total=40,
        checkins=tuple(
            CheckinLine(
                i,
                f"Project {i}",
                "active",
                "10:00",
                "Monday to Friday",
                True,
                None,
                NOW,
                ZONE,
                "▁▂▄",
                3,
            )
            for i in range(30)
        ),
        projects=tuple(card(i) for i in range(30)),
        coordinating=(coordinator(1),),
        other_coordinated=tuple(card(i) for i in range(2, 30)),
    )


def check_limits(view: dict[str, Any]) -> None:
    assert len(view["blocks"]) <= HOME_LIMIT
    for block in view["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
        if block["type"] == "header":
            assert len(text) <= 150
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000
    View(**view).validate_json()


def test_a_big_home_stays_within_slacks_limits_and_validates() -> None:
    view = home_view(big_home())
    check_limits(view)
    assert "more lines that do not fit" in json.dumps(view) or len(view["blocks"]) < HOME_LIMIT


def test_fit_summarises_what_does_not_fit() -> None:
    blocks = [{"type": "divider"}] * 150
    kept = fit(blocks)
    assert len(kept) == HOME_LIMIT and kept[-1]["type"] == "context"
    assert fit(blocks[:10]) == blocks[:10]


def test_items_carry_the_owning_features_buttons() -> None:
    view = home_view(replace(big_home(), checkins=(), projects=(card(1),), other_coordinated=()))
    shown = json.dumps(view)
    for action in (
        debriefs.OPEN_DEBRIEF,
        debriefs.FEEDBACK_OPEN,
        reminders.SHARE_AGENDA,
        reminders.POST_NOTES,
        debriefs.ACTION_DONE,
        f"{MOOD_PREFIX}3",
        RETRY,
    ):
        assert f'"action_id": "{action}"' in shown, action
    check_limits(view)


def test_text_from_people_is_escaped_and_the_empty_home_welcomes() -> None:
    shown = json.dumps(home_view(big_home()))
    assert "<b>" not in shown and "&lt;b&gt;" in shown
    assert welcome_home()["blocks"][0]["text"]["text"] == "Welcome to cobot"
    empty = HomeView("UX", NOW, (), (), 0, (), ())
    assert home_view(empty) == welcome_home()


def test_wellbeing_shows_totals_only() -> None:
    shown = json.dumps(home_view(big_home()))
    assert "average 3.4 of 5" in shown and "counted only in the total" in shown
    assert "November 2026" in shown and "December 2026 appears once it ends" in shown
    held_back = replace(
        coordinator(1),
        wellbeing=Aggregate(total=None, groups=(), hidden=()),
        wellbeing_period="November 2026",
    )
    assert "Fewer than 4 people answered" in json.dumps(
        home_view(replace(big_home(), coordinating=(held_back,)))
    )
    none_yet = replace(coordinator(1), wellbeing=None, wellbeing_open="December 2026")
    assert "figures for December 2026 appear once it ends" in json.dumps(
        home_view(replace(big_home(), coordinating=(none_yet,)))
    )


def test_the_agreement_modal_fits() -> None:
    from cobot.services.home import AgreementView

    modal = agreement_modal(AgreementView(1, "P", "Aims", ""))
    assert len(modal["title"]["text"]) <= 24
    assert "No group agreement has been written yet" in json.dumps(modal)
    View(**modal).validate_json()
