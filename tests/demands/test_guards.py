"""One-use tokens of the workbench actions without an idempotency key ("match again",
"re-plan now"): a row with a unique key, so the claim holds in every web process; a guard past
its time lets the token act again and is cleared by the next claim. Two claims at once on
PostgreSQL: test_concurrency.py."""

from __future__ import annotations

from datetime import timedelta

from careloop.demands import services
from careloop.demands.models import ActionGuard
from careloop.demands.services.guards import ONCE_TTL

from .conftest import NOW

TOKEN = "0123456789abcdef0123456789abcdef"


def test_a_token_is_claimed_once_per_kind(db, frozen):
    assert services.claim_once(kind="match", token=TOKEN) is True
    assert services.claim_once(kind="match", token=TOKEN) is False
    assert services.claim_once(kind="replan", token=TOKEN) is True
    assert services.claim_once(kind="match", token="f" * 32) is True
    assert sorted(ActionGuard.objects.values_list("key", flat=True)) == [
        f"match:{TOKEN}", f"match:{'f' * 32}", f"replan:{TOKEN}",
    ]  # fmt: skip
    assert set(ActionGuard.objects.values_list("expires_at", flat=True)) == {NOW + ONCE_TTL}


def test_an_expired_guard_lets_the_token_act_again_and_is_cleared(db, frozen):
    assert services.claim_once(kind="match", token=TOKEN)
    assert services.claim_once(kind="replan", token=TOKEN)
    frozen(NOW + timedelta(minutes=9, seconds=59))
    assert not services.claim_once(kind="match", token=TOKEN)
    frozen(NOW + timedelta(minutes=10))
    assert services.claim_once(kind="match", token=TOKEN)
    # The expired replan guard is gone; the new match guard runs from now.
    guard = ActionGuard.objects.get()
    assert (guard.key, guard.expires_at) == (f"match:{TOKEN}", NOW + 2 * ONCE_TTL)
    assert not services.claim_once(kind="match", token=TOKEN)
