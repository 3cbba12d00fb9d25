"""The ledger spells every idempotency key one way (deliveries.owed_key), and the spellings
are those of the rows already recorded: a key that changed would owe a message again."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from cobot.services import deliveries

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_keys_are_their_parts_joined_as_recorded_rows_spell_them() -> None:
    assert deliveries.owed_key("poll", 5, "tally") == "poll:5:tally"
    assert deliveries.owed_key("review", 7, "invite", "U1") == "review:7:invite:U1"
    assert deliveries.owed_key("digest", 3, "U2") == "digest:3:U2"
    assert deliveries.owed_key("digest", 3, "preview", "U2") == "digest:3:preview:U2"
    assert deliveries.owed_key("claim", "p4", "2027-02-01", "U3") == "claim:p4:2027-02-01:U3"
    assert deliveries.owed_key("expense:9:r1", "UC") == "expense:9:r1:UC"


def test_a_message_about_a_row_is_keyed_by_the_row_then_its_key() -> None:
    owed = deliveries.owed_about(("poll", 5), 2, "invite:U1", "poll_invite", "U1", NOW)
    assert owed.key == deliveries.owed_key("poll", 5, "invite:U1") == "poll:5:invite:U1"
    assert (owed.subject, owed.payload, owed.project_id) == (("poll", 5), {"poll_id": 5}, 2)
