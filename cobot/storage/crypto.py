"""Encryption at rest for personal free text (wellbeing notes, debriefs, feelings).

Fernet (AES-128-CBC + HMAC-SHA256) from the `cryptography` package, with MultiFernet for key
rotation: COBOT_ENCRYPTION_KEYS lists keys newest first; new values use the first, old values
still decrypt with any, and `cobot keys rotate` re-encrypts everything with the first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from typing import Any

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import Text
from sqlalchemy import select
from sqlalchemy import type_coerce
from sqlalchemy import update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_lock = threading.Lock()
_cipher: MultiFernet | None = None
_keys: tuple[bytes, ...] = ()


def new_key() -> str:
    """A fresh key, for `cobot keys new`."""
    return Fernet.generate_key().decode()


def parse_keys(text: str) -> list[str]:
    """Comma-separated keys, newest first; raises ValueError naming what is wrong."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if not keys:
        raise ValueError("no key given")
    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ValueError(
                "a key is not a Fernet key (run `cobot keys new` to make one)"
            ) from None
    return keys


def configure(keys: list[str]) -> None:
    """Install the keys this process encrypts and decrypts with (the first encrypts)."""
    global _cipher, _keys
    with _lock:
        _cipher = MultiFernet([Fernet(k.encode()) for k in keys])
        _keys = tuple(base64.urlsafe_b64decode(k.encode()) for k in keys)


def derived_secrets(purpose: str, nonce: str) -> list[str]:
    """A secret derived from `nonce` under each configured key, newest key first
    (HMAC-SHA256, URL-safe): a secret that need not be stored, only its nonce."""
    if not _keys:
        raise RuntimeError("encryption keys are not configured in this process")
    message = f"{purpose}:{nonce}".encode()
    return [
        base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest())
        .decode("ascii")
        .rstrip("=")
        for key in _keys
    ]


def cipher() -> MultiFernet:
    """The configured cipher; using encrypted columns before configure() is a bug."""
    if _cipher is None:
        raise RuntimeError("encryption keys are not configured in this process")
    return _cipher


def encrypt(value: str) -> str:
    """Encrypt text with the newest key."""
    return cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt text with whichever configured key made it."""
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("stored text cannot be decrypted with the configured keys") from None


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")


class Sealed(TypeDecorator[str]):
    """A text column stored encrypted with the configured keys; Python code sees plain text.
    `cobot keys rotate` re-encrypts every column of a Sealed type."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else decrypt(str(value))


class EncryptedText(Sealed):
    """Personal free text stored encrypted (declared in the privacy registry)."""

    cache_ok = True


class SecretText(Sealed):
    """A credential stored encrypted, such as a workspace's bot token: not anyone's personal
    data (the privacy registry does not list it), but just as unreadable at rest."""

    cache_ok = True


def rotate_all(engine: Engine, metadata: MetaData) -> int:
    """Re-encrypt every encrypted value (answers and tokens) in `metadata`'s tables with the
    newest key."""
    changed = 0
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Sealed)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        with engine.begin() as conn:
            raw = [type_coerce(c, Text).label(c.name) for c in columns]
            for row in conn.execute(select(*keys, *raw)).mappings():
                values = {
                    c.name: type_coerce(rotate(row[c.name]), Text)
                    for c in columns
                    if row[c.name] is not None
                }
                if values:
                    where = [k == row[k.name] for k in keys]
                    conn.execute(update(table).where(*where).values(values))
                    changed += 1
    return changed
