"""Helpers for the observations tests: tokens, devices and readings set up through services."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

import pytest

from careloop.core import clock, tokens
from careloop.observations import rules, services

DEFAULTS = importlib.import_module(
    "careloop.observations.migrations.0002_default_alert_rules"
).DEFAULT_RULES


def default_rule(code: str) -> rules.Rule:
    spec = next(r for r in DEFAULTS if r["code"] == code)
    return rules.Rule(spec["code"], spec["kind"], spec["severity"], spec["parameters"])


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_api_token(actor=user).key}"}


def device_auth(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def ago(**kwargs: float) -> datetime:
    return clock.now() - timedelta(**kwargs)


@pytest.fixture
def wang_monitor(cast) -> services.IssuedDevice:
    """A blood pressure monitor registered to wang by doctor_a."""
    return services.register_device(
        actor=cast.doctor_a, resident=cast.wang, kind="bp_monitor", serial="BP-0001"
    )


def bp(actor, resident, systolic, diastolic, *, at=None, identifier="", source=None):
    return services.record_reading(
        actor=actor, resident=resident, code="85354-9", value=systolic, value2=diastolic,
        effective_at=at or ago(minutes=1), identifier=identifier, source=source,
    )  # fmt: skip
