import pytest
from django.contrib.auth.models import Group

from careloop.core.roles import CONSOLE_ROLES, STAFF_ROLES, Role


@pytest.mark.django_db
def test_the_migration_creates_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    assert len(Role.values) == 16


def test_every_role_but_resident_is_staff():
    assert Role.RESIDENT not in STAFF_ROLES
    assert len(STAFF_ROLES) == 15
    assert CONSOLE_ROLES <= STAFF_ROLES


@pytest.mark.django_db
def test_has_role_reads_the_groups(cast):
    assert cast.doctor_a.has_role(Role.FAMILY_DOCTOR)
    assert not cast.doctor_a.has_role(Role.CENTRE_DIRECTOR, Role.AUDITOR)
    assert cast.wang_user.roles == frozenset({"resident"})
