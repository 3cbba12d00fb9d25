"""Personal free text is encrypted at rest, and keys can be rotated."""

from __future__ import annotations

from sqlalchemy import Column
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from cobot.storage import crypto
from cobot.storage.db import create_db_engine


def test_stored_text_is_ciphertext_and_rotation_keeps_it_readable(database_url: str) -> None:
    old, new = crypto.new_key(), crypto.new_key()
    metadata = MetaData()
    notes = Table(
        "crypto_probe",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("note", crypto.EncryptedText()),
    )
    engine = create_db_engine(database_url)
    try:
        metadata.create_all(engine)
        crypto.configure([old])
        with engine.begin() as conn:
            conn.execute(insert(notes).values(id=1, note="I felt drained after session 3"))
            conn.execute(insert(notes).values(id=2, note=None))
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT note FROM crypto_probe WHERE id = 1")).scalar_one()
        assert "drained" not in raw
        crypto.configure([new, old])
        assert crypto.rotate_all(engine, metadata) == 1
        crypto.configure([new])
        with engine.connect() as conn:
            assert conn.execute(select(notes.c.note).where(notes.c.id == 1)).scalar() == (
                "I felt drained after session 3"
            )
            rotated = conn.execute(text("SELECT note FROM crypto_probe WHERE id = 1")).scalar()
        assert rotated != raw
    finally:
        crypto.configure([crypto.new_key()])
        metadata.drop_all(engine)
        engine.dispose()
