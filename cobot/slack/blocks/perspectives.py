"""Block Kit for voices in the room: the perspectives modal and the project's mix."""

from __future__ import annotations

from typing import Any

from cobot.domain.perspectives import LABELS
from cobot.domain.perspectives import Perspective
from cobot.services.perspectives import Mix
from cobot.services.perspectives import PerspectivesForm
from cobot.services.perspectives import PerspectivesSaved
from cobot.slack.blocks import forms
from cobot.slack.blocks.common import actions
from cobot.slack.blocks.common import button
from cobot.slack.blocks.common import context
from cobot.slack.blocks.common import escape
from cobot.slack.blocks.common import section

MODAL = "perspectives_form"
OPEN = "perspectives_open"
VALUE = forms.INPUT
CHOSEN = "chosen"


def mix_text(mix: Mix) -> str:
    """The project's mix: counts of 3 or more only, never who."""
    lines = [f"• {s.perspective.label}: {s.words}" for s in mix.shown]
    heading = f"*Voices in the room* ({mix.members} members. We show counts, never names.)"
    text = heading + "\n" + "\n".join(lines)
    if mix.missing:
        names = " and ".join(LABELS[p].lower() for p in mix.missing)
        text += f"\n:warning: Nobody has said they bring {names}."
    return text


def modal(form: PerspectivesForm) -> dict[str, Any]:
    """The member's perspectives: several allowed, optional, changeable."""
    blocks = [
        section(
            f"*Which perspectives do you bring to “{escape(form.project_name)}”?* Tick any "
            "that apply, or none. It is optional and you can change it at any time. Nobody "
            "sees your answer. The project sees only how many people bring each one. It shows "
            "a number only when at least 3 people are on each side."
        ),
        forms.checkboxes(
            CHOSEN,
            "I bring",
            [(p.value, p.label) for p in Perspective],
            checked=frozenset(p.value for p in form.mine),
        ),
        context(
            "Lived experience is about your health, so cobot keeps it encrypted, includes it in "
            "`/cobot my data` and deletes it with `/cobot forget me`."
        ),
        section(mix_text(form.mix)),
    ]
    return forms.modal(MODAL, "Your perspectives", blocks, metadata=str(form.project_id))


def _label(name: str, *, several: bool) -> str:
    # a button's text is plain text: Slack's control characters are left out, not escaped
    clean = "".join(c for c in name if c not in "<>&")
    return f"My perspectives: {clean}" if several else "My perspectives"


def home_button(cards: list[tuple[int, str]]) -> dict[str, Any] | None:
    """The Home's way to say which perspectives one brings, per project (ids only)."""
    if not cards:
        return None
    return actions(
        [button(_label(name, several=len(cards) > 1), OPEN, str(pid)) for pid, name in cards[:5]],
        block_id="perspectives_home",
    )


def coordinator_text(mix: Mix) -> str:
    """The mix on a coordinator's Home, with what is missing."""
    text = mix_text(mix)
    if mix.absent:
        names = ", ".join(p.label.lower() for p in mix.absent)
        text += (
            f"\nNobody has said: {names}. Ask people to say what they bring with "
            "`/cobot perspectives`."
        )
    return text


def saved_text(saved: PerspectivesSaved) -> str:
    """The member's confirmation."""
    if not saved.chosen:
        return (
            f"You have not said which perspectives you bring to “{escape(saved.project_name)}”"
            " (nothing is kept). You can add them any time with `/cobot perspectives`."
        )
    names = ", ".join(p.label.lower() for p in Perspective if p in saved.chosen)
    return (
        f"Thank you: for “{escape(saved.project_name)}” you bring {names}. Only counts are "
        "ever shown; change it any time with `/cobot perspectives`."
    )
