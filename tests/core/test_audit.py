import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from careloop.core import audit
from careloop.core.models import AuditEvent
from careloop.residents.selectors import get_resident_for


def test_every_write_in_the_cast_is_audited_and_chained(cast):
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("careloop.resident.created") == 4
    assert actions.count("careloop.contract.signed") == 3
    checked, broken = audit.verify_chain()
    assert broken is None
    assert checked == AuditEvent.objects.count()


def test_staff_read_is_audited_but_own_read_is_not(cast):
    before = AuditEvent.objects.filter(action="careloop.resident.viewed").count()
    get_resident_for(cast.doctor_a, cast.wang.public_id)
    get_resident_for(cast.wang_user, cast.wang.public_id)
    viewed = AuditEvent.objects.filter(action="careloop.resident.viewed")
    assert viewed.count() == before + 1
    event = viewed.last()
    assert (event.actor_username, event.actor_role, event.object_id) == (
        "doctor_a",
        "family_doctor",
        cast.wang.public_id,
    )


def test_audit_events_cannot_be_changed_through_the_orm(cast):
    event = AuditEvent.objects.first()
    event.action = "forged"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_audit_verify_passes_on_an_intact_trail(cast, capsys):
    call_command("audit-verify")
    assert "intact" in capsys.readouterr().out


def test_audit_verify_names_an_edited_row(cast):
    victim = AuditEvent.objects.filter(action="careloop.resident.created").order_by("id")[1]
    _sql("UPDATE core_auditevent SET actor_username = %s WHERE id = %s", ["mallory", victim.id])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit-verify")
    assert f"event {victim.id}" in str(excinfo.value)
    assert "altered" in str(excinfo.value)
    assert excinfo.value.returncode == 1


def test_audit_verify_notices_a_deleted_row(cast):
    victim = AuditEvent.objects.order_by("id")[2]
    _sql("DELETE FROM core_auditevent WHERE id = %s", [victim.id])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit-verify")
    assert "missing" in str(excinfo.value)


def test_audit_verify_notices_truncated_tail(cast):
    last = AuditEvent.objects.order_by("id").last()
    _sql("DELETE FROM core_auditevent WHERE id = %s", [last.id])
    with pytest.raises(CommandError):
        call_command("audit-verify")


def test_chain_verifies_when_the_clock_is_not_in_utc(cast, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from careloop.core import clock

    shanghai = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(clock, "now", lambda: shanghai)
    audit.record(actor=cast.director, action="careloop.test.local_time")
    assert audit.verify_chain()[1] is None
