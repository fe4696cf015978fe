"""Recording readings through the services: range validation, idempotent retries, batch and
transaction semantics, who may record for whom. Negative tests assert nothing was written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.observations import codes, services
from careloop.observations.models import Alert, Observation, Source
from tests.observations.conftest import ago, bp


def item(code="85354-9", value=128, value2=80, **kwargs):
    kwargs.setdefault("effective_at", ago(minutes=10))
    return services.ReadingIn(code=code, value=value, value2=value2, **kwargs)


@pytest.mark.parametrize(
    ("code", "value", "value2", "field"),
    [
        ("85354-9", 310, 80, "systolic"),
        ("85354-9", 49, 30, "systolic"),
        ("85354-9", 120, 19, "diastolic"),
        ("85354-9", 120, 201, "diastolic"),
        ("85354-9", 120, 120, "diastolic"),  # diastolic must be below systolic
        ("85354-9", 120, None, "diastolic"),
        ("85354-9", "abc", 80, "systolic"),
        ("85354-9", "NaN", 80, "systolic"),
        ("14770-2", Decimal("0.4"), None, "value"),
        ("14770-2", 50.1, None, "value"),
        ("14770-2", 6.0, 3.0, "value2"),
        ("8867-4", 19, None, "value"),
        ("8867-4", 301, None, "value"),
        ("59408-5", 49, None, "value"),
        ("59408-5", 101, None, "value"),
        ("55423-8", -1, None, "value"),
        ("55423-8", 100001, None, "value"),
        ("8310-5", 29.9, None, "value"),
        ("8310-5", 45.1, None, "value"),
        ("29463-7", 0.5, None, "value"),
        ("29463-7", 401, None, "value"),
        ("1558-6", 6.0, None, "code"),  # mg/dL glucose code: not accepted
    ],
)
def test_out_of_range_is_refused_and_nothing_written(cast, code, value, value2, field):
    with pytest.raises(DomainError) as caught:
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code=code, value=value, value2=value2,
            effective_at=ago(minutes=5),
        )  # fmt: skip
    assert caught.value.code == "observations.invalid"
    assert list(caught.value.fields) == [field]
    assert Observation.objects.count() == 0


def test_range_message_names_the_limits(cast, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(DomainError) as caught:
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code="spo2", value=120,
            effective_at=ago(minutes=5),
        )  # fmt: skip
    assert caught.value.as_dict()["fields"] == {"value": ["Enter a value from 50 to 100 %."]}


def test_future_and_naive_times_are_refused(cast):
    for when in (clock.now() + timedelta(minutes=6), clock.now().replace(tzinfo=None)):
        with pytest.raises(DomainError) as caught:
            bp(cast.doctor_a, cast.wang, 120, 80, at=when)
        assert list(caught.value.fields) == ["effective_at"]
    bp(cast.doctor_a, cast.wang, 120, 80, at=clock.now() + timedelta(minutes=4))  # clock skew
    assert Observation.objects.count() == 1


def test_reading_is_stored_with_code_unit_and_audit(cast):
    recorded = bp(cast.nurse_a, cast.wang, Decimal("128.4"), 82)
    obs = recorded.observation
    assert recorded.created
    assert (obs.code, obs.value, obs.value2, obs.source) == (
        "85354-9", Decimal("128.40"), Decimal("82.00"), Source.CLINIC
    )  # fmt: skip
    assert obs.unit == "mm[Hg]"
    assert obs.summary == "128/82 mm[Hg]"
    assert obs.recorded_by == cast.nurse_a
    event = AuditEvent.objects.filter(action="careloop.observation.recorded").get()
    assert event.object_id == cast.wang.public_id
    assert event.detail == {"count": 1, "codes": ["85354-9"], "residents": {cast.wang.public_id: 1}}


def test_short_keys_name_the_same_codes(cast):
    obs = services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="glucose_fasting", value=5.6,
        effective_at=ago(hours=1),
    ).observation  # fmt: skip
    assert obs.code == codes.GLUCOSE_FASTING


# ---- idempotency ----------------------------------------------------------------------------


def test_device_retry_returns_the_stored_reading(cast, wang_monitor):
    device = wang_monitor.device
    first = bp(device, None, 130, 85, identifier="m-1")
    again = bp(device, None, 130, 85, identifier="m-1")
    assert first.created and not again.created
    assert again.observation.pk == first.observation.pk
    assert Observation.objects.count() == 1
    assert first.observation.source == Source.DEVICE
    assert first.observation.resident == cast.wang


def test_same_identifier_from_another_device_is_another_reading(cast, wang_monitor):
    other = services.register_device(actor=cast.doctor_a, resident=cast.wang, kind="bp_monitor")
    bp(wang_monitor.device, None, 130, 85, identifier="m-1")
    bp(other.device, None, 130, 85, identifier="m-1")
    assert Observation.objects.count() == 2


def test_manual_retry_is_recognised_per_resident_and_source(cast):
    a = bp(cast.wang_user, cast.wang, 125, 80, identifier="app-7")
    b = bp(cast.wang_user, cast.wang, 125, 80, identifier="app-7")
    c = bp(cast.doctor_a, cast.wang, 125, 80, identifier="app-7")  # clinic: another source
    assert (a.created, b.created, c.created) == (True, False, True)
    assert Observation.objects.count() == 2


def test_duplicates_inside_one_batch_are_stored_once(cast, wang_monitor):
    results = services.record_readings(
        actor=wang_monitor.device,
        items=[item(identifier="x"), item(identifier="x"), item(identifier="y")],
    )
    assert [r.status for r in results] == ["created", "existing", "created"]
    assert results[0].observation.pk == results[1].observation.pk
    assert Observation.objects.count() == 2


def test_no_identifier_means_no_deduplication(cast, wang_monitor):
    services.record_readings(actor=wang_monitor.device, items=[item(), item()])
    assert Observation.objects.count() == 2


# ---- batch and transaction ------------------------------------------------------------------


def test_batch_keeps_good_items_and_reports_bad_ones(cast, wang_monitor):
    results = services.record_readings(
        actor=wang_monitor.device,
        items=[item(identifier="a"), item(value=400, identifier="b"), item(identifier="c")],
        mode=services.BATCH,
    )
    assert [r.status for r in results] == ["created", "error", "created"]
    assert list(results[1].error.fields) == ["systolic"]
    assert set(Observation.objects.values_list("identifier", flat=True)) == {"a", "c"}


def test_transaction_refuses_everything_when_one_item_is_bad(cast, wang_monitor):
    with pytest.raises(services.BatchRefused) as caught:
        services.record_readings(
            actor=wang_monitor.device,
            items=[item(identifier="a"), item(value=400, identifier="b")],
            mode=services.TRANSACTION,
        )
    assert caught.value.code == "observations.batch_refused"
    assert list(caught.value.fields) == ["1.systolic"]
    assert Observation.objects.count() == 0
    assert not AuditEvent.objects.filter(action="careloop.observation.recorded").exists()


def test_transaction_stores_all_when_all_are_good(cast, wang_monitor):
    results = services.record_readings(
        actor=wang_monitor.device, items=[item(identifier=str(i)) for i in range(5)],
        mode=services.TRANSACTION,
    )  # fmt: skip
    assert {r.status for r in results} == {"created"}
    assert Observation.objects.count() == 5


def test_staff_batch_over_several_residents_checks_each(cast):
    results = services.record_readings(
        actor=cast.doctor_a,
        items=[
            item(resident=cast.wang),
            item(resident=cast.li.public_id),
            item(resident=cast.zhao),  # team B: not doctor_a's
            item(resident="no-such-id"),
        ],
    )
    assert [r.status for r in results] == ["created", "created", "error", "error"]
    assert isinstance(results[2].error, NotFoundError)
    assert isinstance(results[3].error, NotFoundError)
    assert set(Observation.objects.values_list("resident__name", flat=True)) == {"王秀英", "李小明"}


# ---- who may record -------------------------------------------------------------------------


def test_resident_records_own_bp_by_hand(cast):
    obs = bp(cast.wang_user, cast.wang, 132, 84).observation
    assert obs.source == Source.MANUAL
    assert obs.recorded_by == cast.wang_user


def test_resident_may_not_record_for_another_resident(cast):
    with pytest.raises(NotFoundError):
        bp(cast.zhao_user, cast.wang, 132, 84)
    assert Observation.objects.count() == 0


def test_resident_may_not_claim_a_clinic_measurement(cast):
    with pytest.raises(DomainError) as caught:
        bp(cast.wang_user, cast.wang, 132, 84, source="clinic")
    assert list(caught.value.fields) == ["source"]


@pytest.mark.parametrize("persona", ["auditor", "cashier", "doctor_b", "west_director"])
def test_staff_outside_the_care_of_wang_may_not_record(cast, persona):
    with pytest.raises((NotFoundError, ForbiddenError)):
        bp(getattr(cast, persona), cast.wang, 132, 84)
    assert Observation.objects.count() == 0


def test_device_may_not_record_for_another_resident(cast, wang_monitor):
    (result,) = services.record_readings(
        actor=wang_monitor.device, items=[item(resident=cast.zhao.public_id)]
    )
    assert list(result.error.fields) == ["resident"]
    assert Observation.objects.count() == 0


def test_revoked_device_may_not_record(cast, wang_monitor):
    services.revoke_device(actor=cast.doctor_a, device=wang_monitor.device)
    with pytest.raises(ForbiddenError):
        bp(wang_monitor.device, None, 120, 80)


def test_old_readings_are_stored_without_alerts(cast):
    bp(cast.doctor_a, cast.wang, 190, 120, at=ago(days=30))
    assert Observation.objects.count() == 1
    assert Alert.objects.count() == 0
