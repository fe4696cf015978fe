from django.db import connection
from huey.contrib.djhuey import HUEY

from careloop.core.models import AuditEvent
from careloop.core.tasks import verify_audit_trail


def test_huey_runs_immediately_in_tests():
    assert HUEY.immediate is True


def test_nightly_audit_check_reports_a_broken_chain(cast, caplog):
    assert verify_audit_trail.call_local() is True
    victim = AuditEvent.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [victim.id])
    assert verify_audit_trail.call_local() is False
    assert f"broken at event {victim.id}" in caplog.text
