from django.db import connection

from careloop.core import crypto
from careloop.residents.models import Resident
from careloop.residents.selectors import search_residents
from tests.conftest import ID_WANG


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM residents_resident WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_identifiers_are_not_stored_in_plaintext(cast):
    wang = cast.wang
    for column, plain in (
        ("id_number", ID_WANG),
        ("phone", "13800138000"),
        ("address", "武汉市武昌区东湖路1号"),
    ):
        stored = _raw(column, wang.pk)
        assert plain not in stored
        assert "1949" not in stored
        assert crypto.decrypt(stored) == plain
    assert ID_WANG not in _raw("id_number_hash", wang.pk)


def test_model_reads_plaintext_back(cast):
    assert Resident.objects.get(pk=cast.wang.pk).id_number == ID_WANG


def test_lookup_by_id_number_and_phone_uses_the_blind_index(cast):
    assert list(search_residents(cast.director, ID_WANG.lower())) == [cast.wang]
    assert list(search_residents(cast.director, "138 0013 8000")) == [cast.wang]
    assert list(search_residents(cast.director, "11010519491231003X")) == []


def test_blind_index_separates_purposes():
    assert crypto.blind_index("13800138000", purpose="phone") != crypto.blind_index(
        "13800138000", purpose="id_number"
    )


def test_ciphertexts_differ_for_same_plaintext():
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_key_rotation_keeps_data_readable_and_indexes_valid(cast, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old_keys = list(settings.CARELOOP_FIELD_KEYS)
    before = _raw("id_number", cast.wang.pk)
    settings.CARELOOP_FIELD_KEYS = [Fernet.generate_key().decode(), *old_keys]
    call_command("rotate-field-key")
    after = _raw("id_number", cast.wang.pk)
    assert after != before
    # Only the new key is needed from now on.
    settings.CARELOOP_FIELD_KEYS = settings.CARELOOP_FIELD_KEYS[:1]
    assert crypto.decrypt(after) == ID_WANG
    assert list(search_residents(cast.director, ID_WANG)) == [cast.wang]
