"""Model fields that keep personal identifiers encrypted at rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from careloop.core import crypto

if TYPE_CHECKING:
    # Fields are generic (set type, get type) only in the stubs; a subclass names them there.
    _TextField = models.TextField[str, str]
else:
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """Stores Fernet ciphertext; Python code sees plaintext. Not searchable: pair it with a
    blind-index column (``crypto.blind_index``) for exact lookup."""

    description = "Encrypted text"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value
