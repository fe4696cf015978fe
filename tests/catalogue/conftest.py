"""Catalogue personas on top of the fixed cast: the east centre with a family doctor (a
provider with a login), a rehab therapist and a volunteer, and a district hospital with a
visiting cardiologist. Time is frozen at Monday 9 February 2026, 08:00 Shanghai time (the
week before the 2026 Spring Festival)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from careloop.catalogue import services
from careloop.catalogue.models import Organisation, Provider, Service, WeeklySchedule
from careloop.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 9, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze ``clock.now``; call the fixture's result with a datetime to move time."""
    state = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def move(to: datetime) -> datetime:
        state["now"] = to
        return to

    return move


def svc(code: str) -> Service:
    return Service.objects.get(code=code)


@dataclass
class Network:
    centre: Organisation
    hospital: Organisation
    doctor: Provider
    therapist: Provider
    volunteer: Provider
    cardiologist: Provider
    clinic_monday: WeeklySchedule
    class_wednesday: WeeklySchedule


@pytest.fixture
def net(cast, frozen) -> Network:
    d = cast.director
    centre = services.create_organisation(
        actor=d, code="east.centre", name_zh="东湖社区卫生服务中心", kind="community_centre",
        community=cast.east, latitude="30.5600", longitude="114.3700",
    )  # fmt: skip
    hospital = services.create_organisation(
        actor=cast.admin, code="wuchang.hospital", name_zh="武昌区人民医院", kind="hospital"
    )
    doctor = services.create_provider(
        actor=d, organisation=centre, name="王医生", kind="practitioner", sex="M",
        user=cast.doctor_a, skills=["doctor"], languages=["zh", "zh-wuhan"],
        services=[
            "basic.common_illness", "basic.chronic_refill",
            "maintenance.diabetic_foot_screening",
        ],
    )  # fmt: skip
    therapist = services.create_provider(
        actor=d, organisation=centre, name="刘康复", kind="practitioner", sex="F",
        skills=["rehab_therapist"],
        services=[
            "maintenance.postpartum_rehab", "maintenance.spine_rehab", "development.yoga_class",
        ],
    )  # fmt: skip
    volunteer = services.create_provider(
        actor=d, organisation=centre, name="陈志愿", kind="volunteer", sex="F",
        skills=["volunteer"], services=["maintenance.living_alone_visit"],
    )  # fmt: skip
    cardiologist = services.create_provider(
        actor=cast.admin, organisation=hospital, name="张主任", kind="practitioner", sex="M",
        title="主任医师", skills=["specialist"], services=["basic.specialist_clinic"],
    )  # fmt: skip
    clinic_monday = services.create_weekly_schedule(
        actor=d, provider=doctor, weekday=0, start_time=time(8, 30), end_time=time(12, 30),
        slot_minutes=30, mode="clinic", valid_from=date(2026, 1, 1), location="全科诊室2",
    )  # fmt: skip
    class_wednesday = services.create_weekly_schedule(
        actor=d, provider=therapist, weekday=2, start_time=time(14, 0), end_time=time(17, 0),
        slot_minutes=60, mode="group", capacity=3, valid_from=date(2026, 1, 1),
        services=[svc("development.yoga_class")], location="活动室",
    )  # fmt: skip
    return Network(
        centre,
        hospital,
        doctor,
        therapist,
        volunteer,
        cardiologist,
        clinic_monday,
        class_wednesday,
    )
