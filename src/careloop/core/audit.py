"""Writing and verifying the audit trail.

``record`` appends one event to the hash chain inside the caller's transaction, so an audited
write and its audit row commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from careloop.core import clock
from careloop.core.middleware import current_ip
from careloop.core.models import AuditChainHead, AuditEvent, AuditOutcome

GENESIS = "0" * 64


def _primary_role(actor: Any) -> str:
    roles = sorted(getattr(actor, "roles", ()) or ())
    if getattr(actor, "is_superuser", False) and not roles:
        return "superuser"
    return roles[0] if roles else ""


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event. ``actor`` is a user (or None for the system)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS)
        event = AuditEvent(
            occurred_at=clock.now(),
            actor_id=actor.pk if authenticated else None,
            actor_username=actor.get_username() if authenticated else "system",
            actor_role=_primary_role(actor) if authenticated else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            ip_address=current_ip(),
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_hash=event.hash, last_event_id=event.pk)
    return event


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, BrokenLink | None]:
    """Walk the chain in order. Return (events checked, first broken link or None)."""
    previous = GENESIS
    checked = 0
    for event in _iter_events(batch_size):
        if event.prev_hash != previous:
            return checked, BrokenLink(event.id, "previous hash does not match (row missing?)")
        if event.compute_hash() != event.hash:
            return checked, BrokenLink(event.id, "content does not match its hash (row altered)")
        previous = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous:
        return checked, BrokenLink(head.last_event_id or 0, "chain ends early (rows deleted)")
    return checked, None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
