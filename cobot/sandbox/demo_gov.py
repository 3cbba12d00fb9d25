"""The demo's governance part (issue 16): Cora makes the plan from the case study's steps and
gives the first milestone to Olive (oversight), who is nudged when it is overdue and ticks it
done; the oversight digest goes every four weeks, the first after Cora adds a line to its
preview; after the last workshop Cora gives the write-up two more weeks, openly."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cobot.sandbox.people import Button
from cobot.sandbox.people import SimPerson
from cobot.sandbox.people import buttons_in

if TYPE_CHECKING:
    from cobot.sandbox.demo import Demo

OWNER = "UOLIVE"
LINE = "On track: two workshops done, three to come a fortnight apart."
REASON = (
    "The carers asked for two more weeks to review the draft: two are supporting someone "
    "in crisis this month. Their wellbeing comes first."
)
CREATE = "milestones_create_dated"
EDIT = "milestone_edit"
DONE = "milestone_done"
ADD_LINE = "digest_add_line"


def _buttons(demo: Demo, text: str) -> list[Button]:
    """The buttons in the coordinator's ephemeral answer to `/cobot text`."""
    cora = demo.people["UCORA"]
    said = cora.slack.slash_command(user_id=cora.user_id, text=text, channel_id="C0PROJECT")
    try:
        body = said.json()
    except ValueError:
        return []
    return list(buttons_in("C0PROJECT", {"ts": "0", **body}))


def set_up(demo: Demo) -> None:
    """The plan from the template, its first milestone owned by Olive and due today."""
    demo.say("  Cora makes the project plan from the case study's steps")
    cora = demo.people["UCORA"]
    create = next((b for b in _buttons(demo, "milestones") if b.action_id == CREATE), None)
    if create is None:
        demo.problems.append("the plan could not be made from the template")
        return
    cora.press(create)
    edit = next((b for b in _buttons(demo, "milestones") if b.action_id == EDIT), None)
    if edit is None:
        demo.problems.append("the plan has no milestone to edit")
        return
    today = demo.clock.now().astimezone(ZoneInfo("Europe/London")).date()
    cora.press(edit, {"title": "Oversight group formed", "owner": OWNER, "due": today.isoformat()})
    # every four weeks is enough for Olive (the default is two)
    cora.command("digest", channel_id="C0PROJECT", answers={"every": "28", "enabled": ["on"]})


def slow_down(demo: Demo) -> None:
    """After the last workshop, Cora gives the write-up two more weeks, openly: the plan's
    remaining milestones move (the preview first, then one confirmation)."""
    demo.say("  Cora slows the write-up down by two weeks and tells the oversight group why")
    cora = demo.people["UCORA"]
    cora.command(
        "slow down",
        channel_id="C0PROJECT",
        answers={"mode": "weeks", "amount": "2", "reason": REASON},
    )
    assert demo.stack is not None
    views = demo.stack.emulator.open_views
    preview = views[-1] if views else None
    if preview is None or preview.get("callback_id") != "slow_down_confirm":
        demo.problems.append("slowing down showed no preview")
        return
    result = cora.slack.view_submission(user_id=cora.user_id, view=preview, values={})
    if result.status != 200 or "Slowed down" not in result.text:
        demo.problems.append(f"slowing down was not confirmed: {result.text[:200]}")


def decide(demo: Demo, person: SimPerson, button: Button) -> bool | None:
    """Governance buttons in people's DMs (None: not one of ours). Olive ticks the overdue
    milestone; Cora adds a line to the first digest's preview and lets the others go."""
    if button.action_id == DONE:
        person.press(button)
        return True
    if button.action_id == ADD_LINE:
        if any("From the coordinator" in str(m) for m in _digests(demo)):
            person.ignore(button)  # later digests go as they are
            return False
        person.press(button, {"line": LINE})
        return True
    return None


def _digests(demo: Demo) -> list[dict[str, object]]:
    assert demo.stack is not None
    return [
        m
        for m in demo.stack.emulator.messages(OWNER)
        if "update for the oversight" in str(m) and "Preview" not in str(m)
    ]


def check(demo: Demo) -> None:
    """What the governance part must have shown."""
    assert demo.stack is not None
    olive = [str(m) for m in demo.stack.emulator.messages(OWNER)]
    if not any("is overdue" in m for m in olive):
        demo.problems.append("the overdue milestone did not nudge its owner")
    if not any("is slowing down" in m and "wellbeing comes first" in m for m in olive):
        demo.problems.append("the slow-down's reason did not reach the oversight group")
    digests = _digests(demo)
    if not digests:
        demo.problems.append("no digest reached the oversight group")
    elif "From the coordinator" not in str(digests[0]):
        demo.problems.append("the coordinator's line was not in the first digest")
