"""An expense's receipt end to end: a person attaches a photo or PDF they upload in the form;
a file of another type or too many files are refused inline; the coordinator reviewing it sees
"Receipt: <name>" linked to the file in Slack; `my data` shows it; `forget me` removes the
reference and says the file itself stays in the person's Slack workspace."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text as sql

from cobot.sandbox.client import SlackClient
from cobot.sandbox.people import DriveError
from cobot.sandbox.people import Driver
from cobot.sandbox.people import ack_body
from cobot.sandbox.people import uploaded
from cobot.sandbox.stack import LocalStack
from cobot.sandbox.webapi import SlackEmulator
from cobot.slack.blocks import checkins as privacy_blocks
from cobot.slack.blocks.forms import INPUT
from cobot.slack.blocks.involvement import EXPENSE_APPROVE
from cobot.slack.blocks.involvement import RECEIPT
from cobot.storage.db import transaction
from cobot.storage.models import Expense
from tests.e2e.test_involvement import choice
from tests.e2e.test_involvement import errors_of
from tests.e2e.test_involvement import seen
from tests.e2e.test_involvement import text
from tests.seeds import add_project

CHANNEL = "C0RECEIPT"
ME = "UP1"
# a name with mrkdwn's control characters: shown escaped, never as a link or a mention
NAME = "bus <ticket> & return.pdf"


def _project(stack: LocalStack, emulator: SlackEmulator) -> None:
    emulator.add_user(ME, name="up1")
    emulator.add_channel(CHANNEL, name="receipts", members=["UCOORD", ME])
    assert stack.runtime is not None
    with transaction(stack.runtime.factory) as db:
        add_project(
            db,
            channel_id=CHANNEL,
            members=[("UCOORD", "coordinator"), (ME, "participant")],
            now=datetime.now(UTC),
        )


def test_a_receipt_is_attached_reviewed_exported_and_forgotten(
    driver: Driver, stack: LocalStack, slack: SlackClient, emulator: SlackEmulator
) -> None:
    _project(stack, emulator)
    assert stack.runtime is not None
    travel = {"kind": choice("travel"), "amount": text("12.40"), "what_for": text("Bus both ways")}
    modal = driver.command_modal(ME, "expense", channel_id=CHANNEL)
    [element] = [b["element"] for b in modal["blocks"] if b.get("block_id") == RECEIPT]
    assert element["type"] == "file_input" and element["max_files"] == 3
    assert {"pdf", "jpg", "png"} <= set(element["filetypes"])

    # a file of another type (Slack's filetypes check is a convenience only): inline error
    doc = emulator.upload(ME, "notes.docx", "application/msword")
    errors = errors_of(driver.submit_modal(ME, modal, {**travel, RECEIPT: {INPUT: uploaded(doc)}}))
    assert "photos" in errors[RECEIPT] and "PDF" in errors[RECEIPT]
    # a .pdf name on something that is not one is refused too
    fake = emulator.upload(ME, "receipt.pdf", "application/x-msdownload")
    errors = errors_of(driver.submit_modal(ME, modal, {**travel, RECEIPT: {INPUT: uploaded(fake)}}))
    assert RECEIPT in errors
    # too many: Slack's box stops at 3, and a forged submission of 4 gets an inline error
    photos = [emulator.upload(ME, f"photo{n}.jpg", "image/jpeg") for n in range(4)]
    with pytest.raises(DriveError, match="max_files"):
        driver.submit_modal(ME, modal, {**travel, RECEIPT: {INPUT: uploaded(*photos)}})
    forged = slack.view_submission(
        user_id=ME, view=modal, values={**travel, RECEIPT: {INPUT: uploaded(*photos)}}
    )
    assert "at most 3" in errors_of(ack_body(forged))[RECEIPT]
    with transaction(stack.runtime.factory) as db:
        assert db.scalar(select(func.count()).select_from(Expense)) == 0  # nothing changed

    # an expense with its receipt
    receipt = emulator.upload(ME, NAME, "application/pdf")
    answer = driver.submit_modal(ME, modal, {**travel, RECEIPT: {INPUT: uploaded(receipt)}})
    assert "errors" not in answer
    driver.dm_with(ME, "with your receipt went to the coordinators")
    with transaction(stack.runtime.factory) as db:
        expense = db.scalars(select(Expense)).one()
        assert json.loads(expense.receipts or "") == [
            {"id": receipt["id"], "name": NAME, "permalink": receipt["permalink"]}
        ]
        raw = db.execute(sql("SELECT receipts FROM expenses")).scalar_one()
        assert "ticket" not in raw and receipt["id"] not in raw  # encrypted at rest

    # the coordinator sees "Receipt: <name>" linked to the file, the name escaped
    review = seen(driver, "UCOORD", "Bus both ways")
    said = json.dumps(review, ensure_ascii=False)
    linked = f"Receipt: <{receipt['permalink']}|bus &lt;ticket&gt; &amp; return.pdf>"
    assert linked in said and "<ticket>" not in said
    driver.press("UCOORD", review, EXPENSE_APPROVE)
    emulator.wait_for("response_url", where=lambda c: "Approved by <@UCOORD>" in str(c.args))
    [call] = emulator.calls_to("response_url")[-1:]
    assert linked in json.dumps(call.args, ensure_ascii=False)

    # my data shows the receipt (its name and link), readable and in the JSON
    driver.command(ME, "my data", channel_id=CHANNEL)
    emulator.wait_for("files.completeUploadExternal")
    readable, document = emulator.files[-2:]
    data = json.loads(document.content)
    [row] = next(s["rows"] for s in data["sections"] if s["table"] == "expenses")
    assert row["receipts"] == [
        {"id": receipt["id"], "name": NAME, "permalink": receipt["permalink"]}
    ]
    markdown = readable.content.decode()
    assert NAME in markdown and "stay in your Slack workspace" in markdown

    # forget me: the reference goes; the file itself stays in Slack, and cobot says so
    reply = driver.command(ME, "forget me", channel_id=CHANNEL)
    message = {"ts": "1.000001", "blocks": reply["blocks"], "text": reply["text"]}
    driver.press(ME, message, privacy_blocks.FORGET, value="1", channel_id=CHANNEL)
    [call] = emulator.wait_for("response_url", where=lambda c: "Erased" in str(c.args))
    assert "receipt, stay in your Slack workspace" in str(call.args)
    assert "delete them there" in str(call.args)
    with transaction(stack.runtime.factory) as db:
        assert db.scalars(select(Expense).where(Expense.user_id == ME)).all() == []
