"""Field encryption and keyed-hash lookup for identifiers (ID number, phone, address).

Encryption is Fernet (AES-128-CBC + HMAC-SHA256, authenticated) through ``MultiFernet``:
the first key of ``CARELOOP_FIELD_KEY`` encrypts, every listed key decrypts, so a key can be
rotated without downtime. Exact lookup uses a blind index: HMAC-SHA256 under a key derived
(HKDF) from the primary field key, over a normalised value.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys or not all(keys):
        raise ImproperlyConfigured("CARELOOP_FIELD_KEY holds no key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "CARELOOP_FIELD_KEY must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from exc


@cache
def _index_key(primary: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"careloop", info=b"blind-index-v1"
    ).derive(primary.encode())


def _keys() -> tuple[str, ...]:
    return tuple(settings.CARELOOP_FIELD_KEYS)


def encrypt(plaintext: str) -> str:
    return _fernet(_keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted field cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the primary key."""
    return _fernet(_keys()).rotate(token.encode()).decode()


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash for exact lookup; ``purpose`` keeps ID-number and phone indexes apart."""
    key = _index_key(_keys()[0])
    message = f"{purpose}:{normalise(value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
