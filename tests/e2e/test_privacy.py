"""Export and erasure across every feature, the way Slack drives them, on SQLite and PostgreSQL:
a person who used everything runs `/cobot my data`, then `/cobot forget me`; afterwards no row
holds any of their text, encrypted or not, and nothing more is owed to them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Text, select, type_coerce

from cobot.domain.debriefs import DebriefInput, FeedbackInput
from cobot.domain.deliveries import DeliveryStatus
from cobot.sandbox.client import SlackClient
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.services import reminders
from cobot.slack.blocks import checkins as blocks
from cobot.storage import crypto
from cobot.storage.db import transaction
from cobot.storage.models import Base, CoSession, Delivery, Ending, Member, Project, SessionPerson
from tests.e2e.test_checkins import CHANNEL, TEAM, check_in, command, press, switch_on

ME = "UPART"
OTHER = "UF1"
# what each person typed, feature by feature (letters only, so feelings words accept them)
MINE = {
    "note": "qzmine checkin note",
    "contact": "qzmine contact message",
    "went_well": "qzmine went well",
    "change": "qzmine debrief change",
    "voices": "qzmine voices",
    "feeling_words": "qzmine drained",
    "dev": "qzmine feedback for a colleague",
    "action": "qzmine action for the next session",
    "keep": "qzmine keep this",
    "fb_change": "qzmine change that",
    "feel": "qzminefeel",
    "boat": "a sturdy qzmineboat",
    "evaluation": "qzmine evaluation went well",
    "how": "qzmine follow up how",
    "next": "qzmine follow up next",
}
THEIRS = {
    "went_well": "qztheirs went well",
    "dev_for_me": "qztheirs feedback for you",
    "action_for_me": "qztheirs action you own",
    "action": "qztheirs own action",
    "feel": "qztheirsfeel",
    "evaluation": "qztheirs evaluation",
}


@pytest.fixture
def project_id(stack: LocalStack) -> int:
    for user in ("UP2", "UP3", "UCARE", OTHER):
        stack.emulator.add_user(user, name=user.lower())
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        project = Project(
            team_id=TEAM,
            channel_id=CHANNEL,
            name="Recovery framework",
            timezone="UTC",
            lead_times={},
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        members = [("UCOORD", "coordinator"), (ME, "practitioner"), (OTHER, "practitioner")]
        members += [(u, "participant") for u in ("UP2", "UP3")]
        project.members = [
            Member(user_id=u, role=r, added_by="UCOORD", added_at=now) for u, r in members
        ]
        db.add(project)
        db.flush()
        return project.id


def _session(
    stack: LocalStack, project_id: int, title: str, *, start: timedelta, people: dict[str, str]
) -> int:
    assert stack.runtime is not None
    now = datetime.now(UTC)
    with transaction(stack.runtime.factory) as db:
        project = db.get(Project, project_id)
        assert project is not None
        row = CoSession(
            project_id=project_id,
            title=title,
            starts_at=now + start,
            ends_at=now + start + timedelta(hours=2),
            status="scheduled",
            revision=1,
            created_by="UCOORD",
            created_at=now,
            updated_at=now,
        )
        row.people = [SessionPerson(user_id=u, role=r) for u, r in people.items()]
        db.add(row)
        db.flush()
        reminders.plan_session(db, project=project, cosession=row, now=now)
        return row.id


def use_every_feature(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    """Check-ins through Slack (note, contact with a message); debriefs, feedback and the
    ending through the same service calls their listeners make."""
    switch_on(stack, slack, emulator)
    answered = check_in(stack, slack, emulator, ME, 2)
    press(slack, emulator, ME, answered, blocks.NOTE)
    emulator.wait_for("views.open", count=2)
    [modal] = emulator.open_views
    values = {"note": {"input": {"type": "plain_text_input", "value": MINE["note"]}}}
    assert slack.view_submission(user_id=ME, view=modal, values=values).status == 200
    emulator.wait_for("chat.postMessage", where=lambda c: "note is saved" in str(c.args))
    press(slack, emulator, ME, answered, blocks.CONTACT)
    emulator.wait_for("views.open", count=3)
    [modal] = emulator.open_views
    values = {
        "share": {"input": {"type": "checkboxes", "selected_options": [{"value": "note"}]}},
        "message": {"input": {"type": "plain_text_input", "value": MINE["contact"]}},
    }
    assert slack.view_submission(user_id=ME, view=modal, values=values).status == 200
    emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "UCARE")

    runtime = stack.runtime
    assert runtime is not None
    debriefed = _session(
        stack,
        project_id,
        "Our values",
        start=-timedelta(hours=3),
        people={ME: "facilitator", OTHER: "facilitator", "UP2": "participant"},
    )
    attended = _session(
        stack,
        project_id,
        "Co-writing",
        start=-timedelta(hours=4),
        people={OTHER: "facilitator", ME: "participant"},
    )
    # a future session: its reminders are owed to me until I am forgotten
    _session(stack, project_id, "Next steps", start=timedelta(days=3), people={ME: "participant"})
    runtime.debriefs.submit(
        team_id=TEAM,
        user_id=OTHER,
        session_id=debriefed,
        data=DebriefInput(
            went_well=THEIRS["went_well"],
            dev=((ME, THEIRS["dev_for_me"]),),
            actions=((ME, THEIRS["action_for_me"]), (OTHER, THEIRS["action"])),
        ),
    )
    runtime.debriefs.submit(
        team_id=TEAM,
        user_id=ME,
        session_id=debriefed,
        data=DebriefInput(
            went_well=MINE["went_well"],
            change=MINE["change"],
            voices=MINE["voices"],
            dev=((OTHER, MINE["dev"]),),
            feeling=2,
            feeling_words=MINE["feeling_words"],
            actions=((OTHER, MINE["action"]),),
        ),
    )
    runtime.debriefs.give_feedback(
        team_id=TEAM,
        user_id=ME,
        session_id=attended,
        data=FeedbackInput(heard=4, keep=MINE["keep"], change=MINE["fb_change"], named=True),
    )
    now = datetime.now(UTC)
    with transaction(runtime.factory) as db:
        db.add(
            Ending(
                project_id=project_id,
                started_at=now,
                started_by="UCOORD",
                deadline=now + timedelta(days=2),
                questions={},
                updated_at=now,
            )
        )
    endings = runtime.endings
    for user, feel, boat, evaluation in (
        (ME, MINE["feel"], MINE["boat"], MINE["evaluation"]),
        (OTHER, THEIRS["feel"], "a raft", THEIRS["evaluation"]),
    ):
        endings.submit_feelings(
            team_id=TEAM, user_id=user, project_id=project_id, words=f"hopeful {feel}", boat=boat
        )
        endings.submit_evaluation(
            team_id=TEAM, user_id=user, project_id=project_id, answers={"went_well": evaluation}
        )
    endings.submit_follow_up(
        team_id=TEAM, user_id=ME, project_id=project_id, how=MINE["how"], what_next=MINE["next"]
    )


def every_text(stack: LocalStack) -> str:
    """Every value in every table, encrypted ones decrypted from the raw column."""
    assert stack.runtime is not None
    found: list[str] = []
    with stack.runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [type_coerce(c, Text).label(c.name) for c in table.columns]
            for row in conn.execute(select(*columns)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(column.type, crypto.EncryptedText):
                        found.append(crypto.decrypt(str(value)))
                    found.append(str(value))
    return "\n".join(found)


def test_my_data_holds_every_feature_then_forget_me_leaves_none_of_my_text(
    stack: LocalStack, slack: SlackClient, emulator: SlackEmulator, project_id: int
) -> None:
    use_every_feature(stack, slack, emulator, project_id)
    stored = every_text(stack)
    assert all(text in stored for text in (*MINE.values(), *THEIRS.values()))

    # my data: a readable file and a JSON file, in my DM, with all of mine
    command(slack, ME, "my data")
    emulator.wait_for("files.completeUploadExternal")
    readable, document = emulator.files
    assert document.channels == (emulator.im_channel(ME),)
    data = json.loads(document.content)
    exported = json.dumps(data, ensure_ascii=False)
    markdown = readable.content.decode()
    for text in MINE.values():
        assert text in exported, text
        assert text in markdown, text
    # what colleagues wrote for me, which was mine to see; nothing else of theirs
    for text in (THEIRS["dev_for_me"], THEIRS["action_for_me"]):
        assert text in exported and text in markdown
    for text in (THEIRS["went_well"], THEIRS["action"], THEIRS["feel"], THEIRS["evaluation"]):
        assert text not in exported and text not in markdown
    tables = {s["table"] for s in data["sections"]}
    assert tables >= {
        "checkin_people",
        "checkin_answers",
        "checkin_contact_requests",
        "debriefs",
        "debrief_dev_notes",
        "debrief_actions",
        "participant_feedback",
        "ending_feelings",
        "ending_evaluations",
        "ending_follow_ups",
        "members",
        "session_people",
    }
    [evaluation] = next(s["rows"] for s in data["sections"] if s["table"] == "ending_evaluations")
    assert evaluation["answers"]["went_well"] == MINE["evaluation"]  # parsed, not a JSON string

    with transaction(stack.runtime.factory) as db:  # type: ignore[union-attr]
        # due later (anything due now may rightly go out before I press the button)
        owed = db.scalars(
            select(Delivery.id).where(
                Delivery.target == ME,
                Delivery.status == DeliveryStatus.SCHEDULED,
                Delivery.due_at > datetime.now(UTC) + timedelta(hours=1),
            )
        ).all()
    assert owed, "the future session's reminders are owed to me"

    # forget me: asks first, says it erases everything now
    reply = command(slack, ME, "forget me")
    assert "all your cobot data" in json.dumps(reply["blocks"])
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    result = slack.block_actions(
        user_id=ME,
        actions=[{"action_id": blocks.FORGET, "value": "1", "type": "button"}],
        message=message,
        channel_id=CHANNEL,
    )
    assert result.status == 200
    [call] = emulator.wait_for("response_url", where=lambda c: "Erased everything" in str(c.args))
    said = str(call.args)
    assert "What remains" in said and "cannot be traced to you" in said
    assert "membership" in said and "team's list" in said
    assert "delivery log" in said and "wellbeing contact" not in said

    # no row holds any of my text, encrypted or not; the colleague's own text stays
    stored = every_text(stack)
    for text in MINE.values():
        assert text not in stored, text
    assert THEIRS["dev_for_me"] not in stored  # written only for me: gone with me
    for text in (THEIRS["went_well"], THEIRS["action"], THEIRS["feel"], THEIRS["evaluation"]):
        assert text in stored, text
    assert THEIRS["action_for_me"] in stored  # the team's work, said to remain

    with transaction(stack.runtime.factory) as db:  # type: ignore[union-attr]
        statuses = {
            row.id: row.status for row in db.scalars(select(Delivery).where(Delivery.target == ME))
        }
    assert DeliveryStatus.SCHEDULED not in statuses.values(), statuses
    assert all(statuses.get(i) in (None, DeliveryStatus.CANCELLED) for i in owed), statuses

    # a second export holds only what was said to remain: membership, the team's action
    before = len(emulator.files)
    command(slack, ME, "my data")
    emulator.wait_for("files.completeUploadExternal", count=2)
    assert len(emulator.files) == before + 2
    again = json.loads(emulator.files[-1].content)
    assert {s["table"] for s in again["sections"]} == {
        "members",
        "session_people",
        "debrief_actions",
        "deliveries",
    }
    assert THEIRS["action_for_me"] in json.dumps(again, ensure_ascii=False)
