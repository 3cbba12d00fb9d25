"""The privacy registry covers every model: no encrypted or free-text column goes unregistered,
and `cobot privacy` prints the registry without settings, a database or Slack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text

from cobot.domain.privacy import Erasure
from cobot.services.privacy import build_registry
from cobot.services.privacy import check_registry
from cobot.services.privacy import privacy_report
from cobot.storage.crypto import EncryptedText
from cobot.storage.models import Base

# A String longer than this can hold what a person wrote (a name or a title is shorter).
FREE_TEXT_LENGTH = 200
# Column names that are never free text whatever their type: ids, keys, codes, enums, URLs,
# zones, tokens, Slack ids. Matched as a whole word of the column name.
NOT_TEXT_NAMES = re.compile(
    r"(^|_)(id|ids|key|kind|status|role|url|timezone|tz|token|ts|channel|target|by|type)$"
)


def free_text_columns(metadata: MetaData) -> set[str]:
    """Every column that is encrypted, or could hold what someone wrote."""
    found = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, EncryptedText):
                found.add(f"{table.name}.{column.name}")
                continue
            if NOT_TEXT_NAMES.search(column.name):
                continue
            long_string = isinstance(kind, String) and (kind.length or 10**6) > FREE_TEXT_LENGTH
            if isinstance(kind, Text) or long_string or isinstance(kind, JSON):
                found.add(f"{table.name}.{column.name}")
    return found


def test_every_encrypted_or_free_text_column_is_registered() -> None:
    registry = build_registry()
    accounted = registry.declared() | set(registry.not_personal)
    missing = free_text_columns(Base.metadata) - accounted
    assert not missing, f"declare these in their feature's PRIVACY (or say why not): {missing}"


def test_the_walk_catches_an_unregistered_column() -> None:
    """The walk itself can fail: a new encrypted column and a long string are both caught."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "diary",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("secret", EncryptedText()),
        Column("essay", String(2000)),
        Column("channel_id", String(400)),
    )
    registry = build_registry(metadata)
    missing = free_text_columns(metadata) - registry.declared() - set(registry.not_personal)
    assert missing == {"diary.secret", "diary.essay"}


def test_nothing_encrypted_is_called_not_personal() -> None:
    registry = build_registry()
    encrypted = {
        f"{t.name}.{c.name}"
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, EncryptedText)
    }
    assert not encrypted & set(registry.not_personal)
    assert encrypted <= registry.declared()


def test_a_declaration_naming_a_missing_column_or_join_is_refused() -> None:
    registry = build_registry()
    first = registry.declarations[0]
    broken = replace(registry, declarations=(replace(first, context=("no_such_column",)),))
    with pytest.raises(ValueError, match="no_such_column"):
        check_registry(broken, Base.metadata)
    answers = next(d for d in registry.declarations if d.table == "checkin_answers")
    wrong = replace(answers, person=replace(answers.person, column="nobody"))
    with pytest.raises(ValueError, match="nobody"):
        check_registry(replace(registry, declarations=(wrong,)), Base.metadata)


def test_kept_rows_say_why_and_every_feature_is_declared() -> None:
    registry = build_registry()
    for decl in registry.declarations:
        if decl.erasure is Erasure.KEEP:
            assert decl.kept_because
        if decl.recipient is not None and not decl.erased_for_recipient:
            assert decl.recipient_kept_because
    assert registry.features() == [
        "Projects and sessions",
        "Wellbeing check-ins",
        "Debriefs and session feedback",
        "Endings",
        "The participants' review and perspectives",
        "Calendar feeds",
        "Project plan",
        "Finding a time",
        "Involvement and payment",
    ]


def test_the_report_lists_every_declared_table_column_and_how_long() -> None:
    registry = build_registry()
    report = privacy_report(registry)
    for decl in registry.declarations:
        assert f"(`{decl.table}`)" in report
        assert decl.seen_by in report
        for column in decl.columns():
            assert f"`{column}`" in report
    for name in registry.not_personal:
        assert f"`{name}`" in report
    assert "`/cobot my data`" in report and "`/cobot forget me`" in report
    assert "90 days" in report
    assert "cannot be traced to you" in report


def test_cobot_privacy_prints_the_report_with_no_settings_at_all() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COBOT_"))}
    done = subprocess.run(
        [sys.executable, "-m", "cobot", "privacy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == privacy_report(build_registry())
    assert done.stdout.startswith("# What cobot stores about people")
    assert "Who can see it:" in done.stdout and "Kept:" in done.stdout
