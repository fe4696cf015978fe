"""Life events and the quarterly needs review: who may record an event, the invitation and
the message it sends, the key groups invited once a quarter, and the workbench form."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.notifications.models import Message
from careloop.residents import reference, services
from careloop.residents.models import LifeEvent, Questionnaire, ReviewInvitation
from careloop.residents.questionnaire_schema import check_definition
from careloop.residents.services.events import (
    invite_periodic_reviews,
    quarter_key,
    record_life_event,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 9, 8, 0, tzinfo=SHANGHAI)
LINK = "/r/questionnaires/needs-review/"


@pytest.fixture
def frozen(monkeypatch):
    state = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def move(to: datetime) -> datetime:
        state["now"] = to
        return to

    return move


def written() -> tuple[int, int, int, int]:
    return (
        LifeEvent.objects.count(),
        ReviewInvitation.objects.count(),
        Message.objects.count(),
        AuditEvent.objects.count(),
    )


def test_needs_review_v1_is_shipped_with_services_from_the_catalogue(db):
    from careloop.catalogue.models import Service

    review = Questionnaire.objects.get(code="needs-review", active=True)
    assert (review.version, review.title_zh) == (1, "健康需求回访问卷")
    check_definition(review.schema)
    mapped = {
        item["linkId"]: item["service"] for item in review.schema["items"] if "service" in item
    }
    assert mapped == {
        "bp": "maintenance.bp_monitoring",
        "glucose": "maintenance.glucose_monitoring",
        "home_nursing": "maintenance.home_nursing",
        "rehab": "maintenance.postsurgery_rehab",
        "medication": "maintenance.medication_guidance",
        "lonely": "maintenance.living_alone_visit",
        "checkup": "basic.elder_checkup",
        "child_vision": "maintenance.child_vision_screening",
    }
    assert set(Service.objects.filter(code__in=mapped.values()).values_list("code", flat=True)) == (
        set(mapped.values())
    )
    assert all(item["text_zh"] and item["text_en"] for item in review.schema["items"])
    assert "questionnaire-needs-review-v1.json" in reference.QUESTIONNAIRES


def test_quarter_key():
    assert [quarter_key(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 10, 12)] == [
        "2026Q1", "2026Q1", "2026Q2", "2026Q2", "2026Q3", "2026Q4", "2026Q4",
    ]  # fmt: skip


# ---- life events ------------------------------------------------------------------------------


def test_a_life_event_invites_the_resident_and_tells_them(cast, frozen):
    event = record_life_event(
        actor=cast.doctor_a, resident=cast.wang, kind="discharge",
        occurred_on=date(2026, 2, 6), note="髋关节置换术后出院",
    )  # fmt: skip
    assert (event.kind, event.occurred_on, event.recorded_by, event.created_at) == (
        "discharge", date(2026, 2, 6), cast.doctor_a, NOW,
    )  # fmt: skip
    invitation = ReviewInvitation.objects.get(resident=cast.wang)
    assert (invitation.reason, invitation.life_event, invitation.period_key) == (
        "life_event", event, event.public_id,
    )  # fmt: skip
    assert invitation.questionnaire.code == "needs-review"
    assert (invitation.sent_at, invitation.answered_at, invitation.response) == (NOW, None, None)
    messages = Message.objects.filter(event_key=f"review:{invitation.public_id}")
    # Wang has a portal account and a mobile number (text messages by default).
    assert sorted(messages.values_list("channel", flat=True)) == ["in_app", "sms"]
    assert all(m.resident == cast.wang and LINK in m.body for m in messages)
    audit = AuditEvent.objects.get(action="careloop.life_event.recorded")
    assert (audit.actor_username, audit.object_id) == ("doctor_a", cast.wang.public_id)
    assert audit.detail["invitation"] == invitation.public_id


def test_a_dependant_without_an_account_is_phoned_with_the_guardians_link(cast, frozen):
    record_life_event(
        actor=cast.wang_user, resident=cast.li, kind="moved", occurred_on=date(2026, 2, 1)
    )
    message = Message.objects.get(resident=cast.li)
    assert message.channel == "phone_call" and message.team == cast.team_a
    assert f"/r/family/{cast.li.public_id}/questionnaires/needs-review/" in message.body


@pytest.mark.parametrize(
    ("actor", "resident", "error"),
    [
        ("doctor_b", "wang", NotFoundError),  # another team's doctor
        ("west_director", "wang", NotFoundError),  # another community
        ("zhao_user", "wang", NotFoundError),  # another resident
        ("cashier", "wang", ForbiddenError),
        ("auditor", "wang", ForbiddenError),
    ],
)
def test_who_may_not_record_a_life_event(cast, frozen, actor, resident, error):
    before = written()
    with pytest.raises(error):
        record_life_event(
            actor=getattr(cast, actor), resident=getattr(cast, resident), kind="retirement",
            occurred_on=date(2026, 1, 1),
        )  # fmt: skip
    assert written() == before


@pytest.mark.parametrize(
    ("actor", "resident"),
    [("doctor_a", "wang"), ("nurse_a", "li"), ("director", "zhao"), ("wang_user", "wang"),
     ("wang_user", "li"), ("zhao_user", "zhao")],
)  # fmt: skip
def test_who_may_record_a_life_event(cast, frozen, actor, resident):
    event = record_life_event(
        actor=getattr(cast, actor), resident=getattr(cast, resident), kind="bereavement",
        occurred_on=date(2026, 1, 20),
    )  # fmt: skip
    assert ReviewInvitation.objects.filter(life_event=event).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "wedding"}, "kind"),
        ({"occurred_on": date(2026, 2, 10)}, "occurred_on"),  # tomorrow
        ({"occurred_on": date(1949, 1, 1)}, "occurred_on"),  # before birth
        ({"note": "x" * 201}, "note"),
    ],
)
def test_a_wrong_life_event_writes_nothing(cast, frozen, kwargs, field):
    before = written()
    values = {"kind": "retirement", "occurred_on": date(2026, 1, 1), "note": "", **kwargs}
    with pytest.raises(DomainError) as exc:
        record_life_event(actor=cast.doctor_a, resident=cast.wang, **values)
    assert list(exc.value.fields) == [field]
    assert written() == before


# ---- the quarterly review ---------------------------------------------------------------------


@pytest.fixture
def key_groups(cast, frozen):
    """Wang is 76; zhao (37) has hypertension; chen (49, west) is pregnant; li (10) is none."""
    services.record_condition(actor=cast.doctor_b, resident=cast.zhao, condition="I10")
    services.record_pregnancy(
        actor=cast.west_director, resident=cast.chen, due_date=date(2026, 6, 1)
    )
    return cast


def invited(period: str) -> set[str]:
    return set(
        ReviewInvitation.objects.filter(reason="periodic_review", period_key=period).values_list(
            "resident__name", flat=True
        )
    )


def test_the_quarterly_review_invites_key_groups_once_a_quarter(key_groups, frozen):
    cast = key_groups
    assert invite_periodic_reviews() == 3
    assert invited("2026Q1") == {cast.wang.name, cast.zhao.name, cast.chen.name}
    messages = Message.objects.count()
    assert messages == 6  # in-app and text message for each (all three have an account)
    frozen(datetime(2026, 3, 31, 7, 0, tzinfo=SHANGHAI))
    assert invite_periodic_reviews() == 0
    assert ReviewInvitation.objects.count() == 3 and Message.objects.count() == messages
    frozen(datetime(2026, 4, 1, 6, 40, tzinfo=SHANGHAI))
    assert invite_periodic_reviews() == 3
    assert invited("2026Q2") == {cast.wang.name, cast.zhao.name, cast.chen.name}
    audit = AuditEvent.objects.filter(action="careloop.review.invited").order_by("id").last()
    assert audit.detail["period"] == "2026Q2" and len(audit.detail["residents"]) == 3


def test_a_resident_joining_a_group_mid_quarter_is_invited_the_next_day(key_groups, frozen):
    cast = key_groups
    invite_periodic_reviews()
    services.record_condition(actor=cast.doctor_a, resident=cast.li, condition="E10")
    frozen(datetime(2026, 2, 10, 6, 40, tzinfo=SHANGHAI))
    assert invite_periodic_reviews() == 1
    assert cast.li.name in invited("2026Q1")


def test_delivered_pregnancies_and_resolved_conditions_leave_the_groups(key_groups, frozen):
    cast = key_groups
    condition = cast.zhao.conditions.get()
    services.resolve_condition(actor=cast.doctor_b, condition=condition)
    pregnancy = cast.chen.pregnancies.get()
    services.record_delivery(actor=cast.west_director, pregnancy=pregnancy, delivered_on=NOW.date())
    assert invite_periodic_reviews() == 1
    assert invited("2026Q1") == {cast.wang.name}


def test_the_quarterly_review_reads_in_batches(key_groups, frozen, django_assert_max_num_queries):
    invite_periodic_reviews()
    with django_assert_max_num_queries(6):
        assert invite_periodic_reviews() == 0


# ---- the workbench form -----------------------------------------------------------------------


def test_the_record_page_records_a_life_event(client, cast, frozen):
    client.force_login(cast.doctor_a)
    page = client.get(f"/w/residents/{cast.wang.public_id}/")
    assert f'action="/w/residents/{cast.wang.public_id}/life-events/"' in page.content.decode()
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/life-events/",
        {"kind": "new_diagnosis", "occurred_on": "2026-02-02", "note": "新诊断糖尿病"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/w/residents/{cast.wang.public_id}/"
    event = LifeEvent.objects.get()
    assert (event.resident, event.kind, event.note) == (cast.wang, "new_diagnosis", "新诊断糖尿病")


def test_the_form_shows_a_refused_event_again(client, cast, frozen):
    client.force_login(cast.doctor_a)
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/life-events/",
        {"kind": "retirement", "occurred_on": "2026-03-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["occurred_on"]
    assert not LifeEvent.objects.exists()


@pytest.mark.parametrize(("user", "status"), [("doctor_b", 404), ("cashier", 403)])
def test_the_form_refuses_those_who_may_not_record(client, cast, frozen, user, status):
    client.force_login(getattr(cast, user))
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/life-events/",
        {"kind": "retirement", "occurred_on": "2026-01-01"},
    )
    assert response.status_code == status
    assert not LifeEvent.objects.exists()


def test_the_record_history_shows_the_life_event(client, cast, frozen):
    record_life_event(
        actor=cast.doctor_a, resident=cast.wang, kind="retirement", occurred_on=date(2026, 1, 1)
    )
    client.force_login(cast.doctor_a)
    page = client.get(f"/w/residents/{cast.wang.public_id}/")
    labels = [str(label) for _, label in page.context["timeline"]]
    assert "已记录生活事件" in labels or "Life event recorded" in labels


# ---- answering: the resident in the portal, a health manager at home --------------------------

NO = {
    "bp": "no", "glucose": "no", "home_nursing": "no", "rehab": "no", "medication": "no",
    "lonely": "no", "checkup": "no",
}  # fmt: skip


def test_the_resident_answers_the_invitation_in_the_portal(client, cast, frozen):
    from careloop.demands.models import Demand

    record_life_event(
        actor=cast.doctor_a, resident=cast.wang, kind="discharge", occurred_on=date(2026, 2, 6)
    )
    client.force_login(cast.wang_user)
    home = client.get("/r/").content.decode()
    assert f'href="{LINK}"' in home
    form = client.get(LINK)
    assert form.status_code == 200 and "是否需要上门护理或换药？" in form.content.decode()
    review = Questionnaire.objects.get(code="needs-review", active=True)
    response = client.post(LINK, {**NO, "home_nursing": "yes", "version": review.version})
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert (demand.service.code, demand.channel, demand.resident_confirmed) == (
        "maintenance.home_nursing", "life_event", True,
    )  # fmt: skip
    assert ReviewInvitation.objects.get().answered_at == NOW


def test_a_health_manager_answers_in_a_home_interview(client, cast, frozen):
    from careloop.demands.models import Demand

    invite_periodic_reviews()
    url = f"/w/residents/{cast.wang.public_id}/questionnaires/needs-review/"
    client.force_login(cast.nurse_a)
    assert client.get(url).status_code == 200
    review = Questionnaire.objects.get(code="needs-review", active=True)
    assert client.post(url, {**NO, "lonely": "yes", "version": review.version}).status_code == 302
    demand = Demand.objects.get()
    assert (demand.service.code, demand.channel, demand.resident_confirmed) == (
        "maintenance.living_alone_visit", "periodic_review", True,
    )  # fmt: skip
