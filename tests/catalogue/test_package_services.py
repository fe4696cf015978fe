"""Editing packages, their items and organisations through the services: audited, atomic,
field errors that write nothing, editors only."""

from __future__ import annotations

from datetime import date

import pytest

from careloop.catalogue import services
from careloop.catalogue.facts import register_tag_provider, unregister_tag_provider
from careloop.catalogue.models import EnrolmentItemState, Organisation, Package, PackageItem
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import AuditEvent

from .conftest import svc


def counts() -> tuple[int, int, int]:
    return Package.objects.count(), PackageItem.objects.count(), AuditEvent.objects.count()


def items_of(package: Package) -> list[tuple[str, int, str]]:
    return [
        (item.service.code, item.interval_count, item.interval_unit)
        for item in package.items.select_related("service")
    ]


@pytest.fixture
def package(cast) -> Package:
    return services.create_package(
        actor=cast.director, code="local.elderly_extra", name_zh="老年人加强包", group="elderly",
        min_age=65, required_tags=["hypertension"],
    )  # fmt: skip


def test_create_package_is_audited(cast, package):
    assert package.group == "elderly"
    assert package.min_age == 65
    assert [t.code for t in package.required_tags.all()] == ["hypertension"]
    event = AuditEvent.objects.get(action="careloop.catalogue.package_created")
    assert event.object_id == "local.elderly_extra"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "Bad Code"}, "code"),
        ({"code": "package.elderly"}, "code"),
        ({"name_zh": " "}, "name_zh"),
        ({"group": "aliens"}, "group"),
        ({"min_age": 80, "max_age": 70}, "max_age"),
        ({"sex": "X"}, "sex"),
        ({"required_tags": ["no_such_tag"]}, "required_tags"),
        ({"price_fen": 1}, "price_fen"),
    ],
)
def test_create_package_rejects_bad_input_and_writes_nothing(cast, kwargs, field):
    before = counts()
    data = {"code": "local.x", "name_zh": "测试包", "group": "working", **kwargs}
    with pytest.raises(DomainError) as caught:
        services.create_package(actor=cast.director, **data)
    assert field in caught.value.fields
    assert counts() == before


def test_update_package(cast, package):
    services.update_package(
        actor=cast.director, package=package, changes={"name_zh": "老年加强包", "active": False}
    )
    package.refresh_from_db()
    assert (package.name_zh, package.active) == ("老年加强包", False)
    event = AuditEvent.objects.get(action="careloop.catalogue.package_updated")
    assert event.detail == {"fields": ["active", "name_zh"]}


def test_update_package_rejects_code_change_and_writes_nothing(cast, package):
    before = counts()
    with pytest.raises(DomainError) as caught:
        services.update_package(
            actor=cast.director, package=package, changes={"code": "x.y", "name_zh": "新"}
        )
    assert "code" in caught.value.fields
    assert counts() == before
    package.refresh_from_db()
    assert package.name_zh == "老年人加强包"


def test_readers_cannot_edit_packages(cast, package):
    before = counts()
    with pytest.raises(ForbiddenError):
        services.create_package(actor=cast.doctor_a, code="local.y", name_zh="包", group="child")
    with pytest.raises(ForbiddenError):
        services.update_package(actor=cast.doctor_a, package=package, changes={"name_zh": "x"})
    with pytest.raises(ForbiddenError):
        services.set_package_items(actor=cast.doctor_a, package=package, items=[])
    assert counts() == before


def test_set_items_replaces_in_order_and_audits(cast, package):
    services.set_package_items(
        actor=cast.director,
        package=package,
        items=[("basic.elder_checkup", 1, "year"), ("maintenance.bp_monitoring", 2, "week")],
    )
    assert items_of(package) == [
        ("basic.elder_checkup", 1, "year"),
        ("maintenance.bp_monitoring", 2, "week"),
    ]
    services.set_package_items(
        actor=cast.director,
        package=package,
        items=[("maintenance.bp_monitoring", 1, "month"), ("basic.one_key_call", None, "once")],
    )
    assert items_of(package) == [
        ("maintenance.bp_monitoring", 1, "month"),
        ("basic.one_key_call", 1, "once"),
    ]
    event = AuditEvent.objects.filter(action="careloop.catalogue.package_items_set").last()
    assert event.detail == {
        "added": ["basic.one_key_call"],
        "removed": ["basic.elder_checkup"],
        "changed": ["maintenance.bp_monitoring"],
    }


def test_set_items_unchanged_writes_no_audit(cast, package):
    items = [("basic.elder_checkup", 1, "year")]
    services.set_package_items(actor=cast.director, package=package, items=items)
    before = counts()
    services.set_package_items(actor=cast.director, package=package, items=items)
    assert counts() == before


@pytest.mark.parametrize(
    ("row", "key"),
    [
        (("no.such_service", 1, "month"), "items.1.service"),
        (("basic.elder_checkup", 1, "year"), "items.1.service"),  # duplicate
        (("basic.one_key_call", 0, "month"), "items.1.interval_count"),
        (("basic.one_key_call", 1000, "day"), "items.1.interval_count"),
        (("basic.one_key_call", None, "week"), "items.1.interval_count"),
        (("basic.one_key_call", 1, "fortnight"), "items.1.interval_unit"),
    ],
)
def test_set_items_rejects_bad_rows_and_writes_nothing(cast, package, row, key):
    services.set_package_items(
        actor=cast.director, package=package, items=[("basic.elder_checkup", 1, "year")]
    )
    before = counts()
    with pytest.raises(DomainError) as caught:
        services.set_package_items(
            actor=cast.director, package=package, items=[("basic.elder_checkup", 2, "year"), row]
        )
    assert key in caught.value.fields
    assert counts() == before
    assert items_of(package) == [("basic.elder_checkup", 1, "year")]


def test_set_items_keeps_delivery_state_of_items_that_remain(cast, frozen):
    def tags(resident):
        return {"hypertension"}

    register_tag_provider(tags)
    try:
        elderly = Package.objects.get(code="package.elderly")
        enrolment = services.enrol_resident(
            actor=cast.doctor_a, resident=cast.wang, package=elderly, enrolled_on=date(2026, 1, 5)
        )
        services.record_delivery(
            actor=cast.doctor_a,
            resident=cast.wang,
            service=svc("maintenance.bp_monitoring"),
            delivered_on=date(2026, 2, 1),
        )
    finally:
        unregister_tag_provider(tags)
    kept = EnrolmentItemState.objects.get(
        enrolment=enrolment, item__service__code="maintenance.bp_monitoring"
    )
    dropped = ("basic.elder_checkup", "maintenance.bp_monitoring")
    rows = [row for row in items_of(elderly) if row[0] not in dropped]
    assert "development.yoga_class" not in {row[0] for row in rows}
    rows = [("maintenance.bp_monitoring", 2, "month"), *rows, ("development.yoga_class", 1, "week")]
    services.set_package_items(actor=cast.director, package=elderly, items=rows)

    kept.refresh_from_db()
    assert kept.item.interval_count == 2
    assert kept.last_delivered_on == date(2026, 2, 1)
    states = EnrolmentItemState.objects.filter(enrolment=enrolment)
    assert states.count() == elderly.items.count() == len(rows)
    assert not states.filter(item__service__code="basic.elder_checkup").exists()
    new = states.get(item__service__code="development.yoga_class")
    assert new.last_delivered_on is None


# ---- organisations --------------------------------------------------------------------------


@pytest.fixture
def centre(cast) -> Organisation:
    return services.create_organisation(
        actor=cast.director, code="east.centre", name_zh="东湖社区卫生服务中心",
        kind="community_centre", community=cast.east,
    )  # fmt: skip


def test_update_organisation_is_audited(cast, centre):
    services.update_organisation(
        actor=cast.director,
        organisation=centre,
        changes={"address": " 东湖路1号 ", "phone": "027-1234", "latitude": "30.56",
                 "longitude": "114.37", "active": False},
    )  # fmt: skip
    centre.refresh_from_db()
    assert centre.address == "东湖路1号"
    assert str(centre.latitude) == "30.560000"
    assert centre.active is False
    event = AuditEvent.objects.get(action="careloop.catalogue.organisation_updated")
    assert "address" in event.detail["fields"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_zh": ""}, "name_zh"),
        ({"kind": "shop"}, "kind"),
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "abc"}, "longitude"),
        ({"phone": "1" * 31}, "phone"),
        ({"code": "other.code"}, "code"),
        ({"community": None}, "community"),
    ],
)
def test_update_organisation_rejects_bad_input(cast, centre, changes, field):
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as caught:
        services.update_organisation(actor=cast.director, organisation=centre, changes=changes)
    assert field in caught.value.fields
    assert AuditEvent.objects.count() == before
    centre.refresh_from_db()
    assert centre.name_zh == "东湖社区卫生服务中心"


def test_only_managers_update_organisations(cast, centre):
    for actor in (cast.doctor_a, cast.west_director):
        with pytest.raises(ForbiddenError):
            services.update_organisation(actor=actor, organisation=centre, changes={"name_zh": "x"})
