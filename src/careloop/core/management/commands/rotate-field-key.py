"""``careloop rotate-field-key``: re-encrypt every encrypted column under the primary key.

Rotation: put a new key first in CARELOOP_FIELD_KEY (keep the old one after it), run this
command, then remove the old key. Blind indexes are recomputed because they derive from the
primary key.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from careloop.core import audit, crypto
from careloop.core.fields import EncryptedTextField

# Blind-index columns: (model label, hash column) → (source column, purpose).
BLIND_INDEXES = {
    ("residents.Resident", "id_number_hash"): ("id_number", "id_number"),
    ("residents.Resident", "phone_hash"): ("phone", "phone"),
}


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields with the first CARELOOP_FIELD_KEY and rebuild indexes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            label = model._meta.label
            indexes = {
                column: source
                for (model_label, column), source in BLIND_INDEXES.items()
                if model_label == label
            }
            count = self._rotate(model, fields, indexes, options["batch_size"])
            total += count
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        with transaction.atomic():
            audit.record(
                actor=None,
                action="careloop.security.field_key_rotated",
                detail={"rows": total},
            )

    def _rotate(
        self,
        model: Any,
        fields: list[str],
        indexes: dict[str, tuple[str, str]],
        batch_size: int,
    ) -> int:
        count = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")[:batch_size]
                )
                if not rows:
                    return count
                for row in rows:
                    for column, (source, purpose) in indexes.items():
                        value = getattr(row, source)
                        setattr(
                            row, column, crypto.blind_index(value, purpose=purpose) if value else ""
                        )
                # Saving plaintext through the field encrypts it under the primary key.
                model.objects.bulk_update(rows, [*fields, *indexes], batch_size=batch_size)
                count += len(rows)
                last_pk = rows[-1].pk
