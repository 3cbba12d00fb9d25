"""The demo's involvement and payment: rates and a budget, payment choices (one declines),
registers taken after each workshop (one absentee), an expense approved, and claims
confirmed, so the report's finance CSV pays the participants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import select

from cobot.domain.involvement import ClaimStatus
from cobot.sandbox.demo_cast import COORDINATOR
from cobot.sandbox.demo_cast import FACILITATORS
from cobot.sandbox.demo_cast import PARTICIPANTS
from cobot.sandbox.demo_cast import PROJECT_CHANNEL
from cobot.sandbox.people import Button
from cobot.sandbox.people import SimPerson
from cobot.sandbox.people import uploaded
from cobot.slack.blocks.involvement import RECEIPT
from cobot.storage.db import transaction
from cobot.storage.models import Claim

if TYPE_CHECKING:
    from cobot.sandbox.demo import Demo

CHOICES = ("paid", "none")
ABSENT_AT = "Workshop 3"  # one participant cannot come to this one


def set_up(demo: Demo) -> None:
    """Cora sets rates, preparation time and the budget; participants choose how to be paid
    and one claims their bus fare."""
    demo.cora(
        "pay setup",
        currency="GBP",
        default_rate="25.00",
        prep_facilitator="60",
        prep_participant="30",
        benefits_contact="Citizens Advice welfare benefits line, 0800 144 8848",
    )
    demo.cora("budget 2500")
    for user, choice in zip(PARTICIPANTS, CHOICES, strict=False):
        demo.people[user].command("payment", channel_id=PROJECT_CHANNEL, answers={"choice": choice})
    # with a photo of the ticket, uploaded in the form (it stays in Slack; cobot links to it)
    assert demo.stack is not None
    ticket = demo.stack.emulator.upload(PARTICIPANTS[0], "bus ticket.jpg", "image/jpeg")
    demo.people[PARTICIPANTS[0]].command(
        "expense",
        channel_id=PROJECT_CHANNEL,
        answers={
            "kind": "travel",
            "amount": "6.80",
            "what_for": "Bus to the first workshop",
            RECEIPT: uploaded(ticket),
        },
    )


def decide(person: SimPerson, button: Button) -> bool | None:
    """What people do with payment messages; None for a button that is not one."""
    action = button.action_id
    if action == "register_open":
        if person.user_id != FACILITATORS[0]:
            person.ignore(button)  # one facilitator takes the register for both
            return False
        present = PARTICIPANTS[:-1] if ABSENT_AT in button.message.get("text", "") else PARTICIPANTS
        person.press(button, {"present_1": list(present[:10]), "present_2": list(present[10:])})
        return True
    if action == "expense_approve" and person.user_id == COORDINATOR:
        person.press(button)
        return True
    if action == "claim_confirm":
        person.press(button)
        return True
    if action in ("expense_ask", "claim_query"):
        person.ignore(button)
        return False
    return None


def send_claims(demo: Demo) -> None:
    """At the end, Cora sends the claims not yet sent monthly."""
    demo.say("  Cora sends the final claims; participants confirm them")
    demo.cora("claims end")


def check(demo: Demo) -> None:
    """The demo pays its participants: confirmed claims for those who chose payment."""
    assert demo.stack is not None and demo.stack.runtime is not None
    last = demo._last_session_end().date()
    with transaction(demo.stack.runtime.factory) as db:
        confirmed = db.scalar(
            select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.CONFIRMED)
        )
        paid_to_the_end = db.scalar(
            select(func.max(Claim.period_end)).where(Claim.status == ClaimStatus.CONFIRMED)
        )
    if not confirmed:
        demo.problems.append("no participant's claim was confirmed")
    elif paid_to_the_end is None or paid_to_the_end < last:
        demo.problems.append("the final claims (after the last workshop) were not confirmed")
