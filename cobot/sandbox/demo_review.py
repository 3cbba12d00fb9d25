"""The demo's sign-off: after the last workshop the coordinator sends the draft to the
participants for their review; most approve, two ask for changes (one shows their name), one
says not yet and then approves with changes; at the deadline the coordinator gets the results
and the oversight member only the outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cobot.sandbox.people import Button
from cobot.sandbox.people import SimPerson
from cobot.sandbox.people import buttons_in
from cobot.slack.blocks import reviews as blocks

if TYPE_CHECKING:
    from cobot.sandbox.demo import Demo

DRAFT = "https://docs.example.org/carers-in-crisis/framework-draft"
# what each participant answers (the rest approve); the first asks with their name shown
CHANGES = {
    "UPAT": "Say more about what carers can do at night, when services are closed.",
    "UPETE": "Use plain words in section 2; some terms will put carers off.",
}
NAMED = "UPAT"
HESITANT = "UPENNY"  # says not yet, then approves with changes before the deadline
NOT_YET = "The crisis plan does not mention young carers yet."


def start(demo: Demo) -> None:
    """The coordinator sends the draft (the review closes three days later)."""
    demo.say("  The participants' review: the draft goes to the participants for sign-off")
    today = demo.clock.now().astimezone(ZoneInfo("Europe/London")).date()
    reply = demo.cora(
        "review start",
        draft_url=DRAFT,
        deadline={"selected_date": (today + timedelta(days=3)).isoformat()},
        note="Thank you for everything you put into this. Is it ready to share?",
    )
    del reply


def decide(person: SimPerson, button: Button) -> bool | None:
    """A participant's answer to the review DM (None: not a review button)."""
    action = button.action_id
    if action not in (blocks.APPROVE, blocks.CHANGES, blocks.NOT_YET):
        return None
    user = person.user_id
    if user == HESITANT:
        if action != blocks.NOT_YET:
            person.ignore(button)
            return False
        # "not yet" first; then, thinking again, approves with the change asked for
        person.press(button, {blocks.TEXT: NOT_YET, blocks.NAMED: []})
        again = next(
            (
                b
                for b in buttons_in(button.channel, button.message)
                if b.action_id == blocks.CHANGES
            ),
            None,
        )
        if again is not None:
            person.press(again, {blocks.TEXT: f"{NOT_YET} Please add them.", blocks.NAMED: []})
        return True
    if user in CHANGES:
        if action != blocks.CHANGES:
            person.ignore(button)
            return False
        named = [blocks.NAMED_YES] if user == NAMED else []
        person.press(button, {blocks.TEXT: CHANGES[user], blocks.NAMED: named})
        return True
    if action != blocks.APPROVE:
        person.ignore(button)
        return False
    person.press(button)
    return True


def check(demo: Demo) -> None:
    """The sign-off happened: the coordinator saw the results, the oversight member the outcome."""
    assert demo.stack is not None
    emulator = demo.stack.emulator
    coordinator = [str(m.get("text", "")) for m in emulator.messages("UCORA")]
    if not any("closed: approved with changes" in t for t in coordinator):
        demo.problems.append("the coordinator did not get the review's results")
    oversight = [str(m.get("text", "")) for m in emulator.messages("UOLIVE")]
    if not any("participants' review" in t and "approved with changes" in t for t in oversight):
        demo.problems.append("the oversight member did not hear the review's outcome")
    if any("night" in t for t in oversight):
        demo.problems.append("the oversight member saw a participant's words")
