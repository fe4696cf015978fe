"""Batched ``bulk_create`` for the demo loaders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

BATCH_SIZE = 1000


def bulk_create(model: type[models.Model], objs: Sequence[Any], key: str = "") -> None:
    """``bulk_create`` in batches; on a database that cannot return the new keys from a bulk
    insert, read them back by the unique ``key`` so later rows can point at these."""
    model._default_manager.bulk_create(objs, batch_size=BATCH_SIZE)
    if key and objs and objs[0].pk is None:
        values = [getattr(obj, key) for obj in objs]
        pks: dict[Any, int] = {}
        for chunk in chunks(values, 500):
            pks.update(
                model._default_manager.filter(**{f"{key}__in": chunk}).values_list(key, "pk")
            )
        for obj in objs:
            obj.pk = pks[getattr(obj, key)]


def chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
