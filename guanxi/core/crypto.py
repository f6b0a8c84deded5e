"""Encryption at rest (AES-256-GCM) and blind indexes (HMAC-SHA256) for personal data.

Keys never live in the database: they come from ``GUANXI_ENCRYPTION_KEYS`` (``id:base64key,...``,
the first one is current) or from a key file created on first use with 0600 permissions. Every
ciphertext carries the id of the key that wrote it, so keys can be rotated while old rows are
still readable. Blind indexes use a separate HMAC key that does not rotate with the data keys:
changing it means recomputing every blind index and search key, which is not offered yet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

PREFIX = "gx1"


class CryptoError(Exception):
    """A ciphertext could not be decrypted (unknown key id or tampered data)."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]
    index_key: bytes

    def aead(self, key_id: str) -> AESGCM:
        try:
            return AESGCM(self.keys[key_id])
        except KeyError as exc:
            raise CryptoError(f"unknown encryption key id {key_id!r}") from exc


_lock = threading.Lock()
_ring: KeyRing | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key_file_content() -> dict[str, Any]:
    key_id = secrets.token_hex(4)
    return {
        "current": key_id,
        "keys": {key_id: _b64(AESGCM.generate_key(bit_length=256))},
        "index_key": _b64(secrets.token_bytes(32)),
    }


def write_key_file(path: Path, content: dict[str, Any]) -> None:
    """Write the key file atomically with owner-only permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _load_ring() -> KeyRing:
    spec = getattr(settings, "GUANXI_ENCRYPTION_KEYS", "")
    if spec:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        index_key = b""
        for item in spec.split(","):
            key_id, _, value = item.strip().partition(":")
            if key_id == "index":
                index_key = _unb64(value)
                continue
            keys[key_id] = _unb64(value)
            order.append(key_id)
        if not order or not index_key:
            raise CryptoError("GUANXI_ENCRYPTION_KEYS needs at least one data key and index:<key>")
        return KeyRing(order[0], keys, index_key)
    path = Path(settings.GUANXI_KEY_FILE)
    if not path.exists():
        write_key_file(path, new_key_file_content())
    content = json.loads(path.read_text())
    return KeyRing(
        current_id=content["current"],
        keys={key_id: _unb64(value) for key_id, value in content["keys"].items()},
        index_key=_unb64(content["index_key"]),
    )


# A running process notices a rotated key file within this many seconds (``guanxi keys rotate``
# waits at least this long before re-encrypting, so no process keeps writing with the old key).
RELOAD_SECONDS = 10.0
_checked_at = 0.0
_file_stamp: tuple[float, int] | None = None


def _key_file_stamp() -> tuple[float, int] | None:
    if getattr(settings, "GUANXI_ENCRYPTION_KEYS", ""):
        return None
    try:
        stat = Path(settings.GUANXI_KEY_FILE).stat()
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)


def ring() -> KeyRing:
    global _ring, _checked_at, _file_stamp
    now = time.monotonic()
    if _ring is not None and now - _checked_at > RELOAD_SECONDS:
        _checked_at = now
        if _key_file_stamp() != _file_stamp:
            reset_ring()
    if _ring is None:
        with _lock:
            if _ring is None:
                _ring = _load_ring()
                _file_stamp = _key_file_stamp()
                _checked_at = now
    return _ring


def reset_ring() -> None:
    """Forget the cached keys (after a rotation, or in tests)."""
    global _ring
    with _lock:
        _ring = None


def encrypt(plaintext: str) -> str:
    """Encrypt text; returns ``gx1:<key id>:<nonce+ciphertext, base64>``."""
    keys = ring()
    nonce = secrets.token_bytes(12)
    sealed = keys.aead(keys.current_id).encrypt(nonce, plaintext.encode(), PREFIX.encode())
    return f"{PREFIX}:{keys.current_id}:{_b64(nonce + sealed)}"


def decrypt(token: str) -> str:
    """Decrypt a value written by :func:`encrypt`; raises CryptoError if it was tampered with."""
    try:
        prefix, key_id, body = token.split(":", 2)
    except ValueError as exc:
        raise CryptoError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise CryptoError("not an encrypted value")
    raw = _unb64(body)
    if key_id not in ring().keys:
        # Written by a process that already uses a newer key file: read it again once.
        reset_ring()
    try:
        return ring().aead(key_id).decrypt(raw[:12], raw[12:], PREFIX.encode()).decode()
    except Exception as exc:
        raise CryptoError("encrypted value could not be decrypted") from exc


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def blind_index(value: str, *, purpose: str = "") -> str:
    """Keyed hash of a normalised value: equal inputs, equal outputs; nothing can be read back."""
    digest = hmac.new(ring().index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


class EncryptedTextField(models.TextField):
    """A text column stored AES-256-GCM encrypted; reads give back the plaintext.

    Empty strings are stored as empty strings (nothing to protect, and it keeps "is empty" queries
    possible). Lookups other than ``isnull``/empty compare ciphertexts and are meaningless: search
    through the matching blind index instead.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        if getattr(value, "is_masked", False):
            # A masked stand-in (138****5678) must never overwrite the real value.
            raise ValueError(f"refusing to store a masked value in {self.name!r}")
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
