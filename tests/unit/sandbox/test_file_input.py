"""file_input as Slack defines it: the emulator refuses a malformed one, a person's upload is
a Slack file object that files.info knows, and the Driver submits files only as Slack's upload
box would (at most max_files of them)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from cobot.sandbox import SlackEmulator
from cobot.sandbox import blockkit
from cobot.sandbox.people import fill
from cobot.sandbox.people import mismatched
from cobot.sandbox.people import uploaded
from cobot.slack.blocks.involvement import RECEIPT
from cobot.slack.blocks.involvement import receipt_input


def _files(element: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "files",
        "label": {"type": "plain_text", "text": "Files"},
        "element": {"action_id": "value", "type": "file_input", **element},
    }


REFUSED = {
    "max_files 0": {"max_files": 0},
    "max_files 11": {"max_files": 11},
    "max_files as text": {"max_files": "3"},
    "max_files true": {"max_files": True},
    "filetypes as one string": {"filetypes": "pdf"},
    "a filetype with a dot": {"filetypes": [".pdf"]},
    "an empty filetype": {"filetypes": [""]},
    "a field Slack does not define": {"max_size": 10_000_000},
}


@pytest.mark.parametrize("element", REFUSED.values(), ids=list(REFUSED))
def test_slack_refuses_a_malformed_file_input(element: dict[str, Any]) -> None:
    assert blockkit.problems([_files(element)]) != []


def test_and_accepts_a_well_formed_one_only_in_an_input_block() -> None:
    well_formed = _files({"filetypes": ["pdf", "jpg"], "max_files": 10})
    assert blockkit.problems([_files({}), well_formed]) == []
    assert blockkit.problems([_files({}), receipt_input()]) == []
    actions = {"type": "actions", "elements": [{"type": "file_input", "action_id": "f"}]}
    assert any("input block" in p for p in blockkit.problems([actions]))


def test_the_emulator_refuses_a_malformed_file_input_in_a_view(
    client: WebClient, emulator: SlackEmulator
) -> None:
    modal = {
        "type": "modal",
        "callback_id": "c",
        "title": {"type": "plain_text", "text": "T"},
        "blocks": [_files({"max_files": 20})],
    }
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=emulator.issue_trigger_id("U0ALICE"), view=modal)
    assert refused.value.response["error"] == "invalid_arguments"
    modal["blocks"] = [receipt_input()]
    assert client.views_open(trigger_id=emulator.issue_trigger_id("U0ALICE"), view=modal)["ok"]


def test_an_upload_is_a_slack_file_that_files_info_knows_until_deleted(
    client: WebClient, emulator: SlackEmulator
) -> None:
    upload = emulator.upload("U0ALICE", "bus ticket.pdf", "application/pdf")
    assert upload["id"].startswith("F") and upload["user"] == "U0ALICE"
    assert upload["url_private"].endswith(upload["id"])
    assert upload["permalink"].endswith(f"/files/U0ALICE/{upload['id']}/bus%20ticket.pdf")
    assert (upload["mimetype"], upload["filetype"]) == ("application/pdf", "pdf")
    info = client.files_info(file=upload["id"])
    assert info["file"]["name"] == "bus ticket.pdf"
    emulator.delete_upload(upload["id"])
    with pytest.raises(SlackApiError) as gone:
        client.files_info(file=upload["id"])
    assert gone.value.response["error"] == "file_not_found"


def test_files_are_submitted_as_slack_carries_them(emulator: SlackEmulator) -> None:
    view = {"blocks": [receipt_input()]}
    assert fill(view, {})[RECEIPT]["value"] == {"type": "file_input", "files": []}
    files = [emulator.upload("U0ALICE", f"r{n}.png", "image/png") for n in range(4)]
    three = {RECEIPT: {"value": uploaded(*files[:3])}}
    assert mismatched(view, three) == []
    assert fill(view, {RECEIPT: uploaded(files[0])})[RECEIPT]["value"]["files"] == [files[0]]
    # Slack's upload box stops at max_files; an entry that is no uploaded file never comes
    assert any("max_files" in p for p in mismatched(view, {RECEIPT: {"value": uploaded(*files)}}))
    forged = {RECEIPT: {"value": {"type": "file_input", "files": [{"name": "x.pdf"}]}}}
    assert any("needs id" in p for p in mismatched(view, forged))
