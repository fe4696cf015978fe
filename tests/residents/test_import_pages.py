"""The workbench import page: upload → dry-run report (row, column, reason) or "N rows ready";
a confirmation commits the checked file; nothing is written when the file is refused."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from careloop.core.models import AuditEvent
from careloop.residents.forms_questionnaire import IMPORT_MAX_BYTES
from careloop.residents.models import Household, Resident
from careloop.residents.views_profile import IMPORT_SESSION_KEY
from tests.residents.profile_helpers import wrong_check_digit
from tests.residents.test_import import ID_2, csv_bytes, rows, xlsx_bytes
from tests.residents.test_questionnaire_pages import assert_strict_page

URL = "/w/residents/import/"


def upload(data: bytes, name: str = "居民.csv") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def counts() -> tuple[int, int, int]:
    return Resident.objects.count(), Household.objects.count(), AuditEvent.objects.count()


def test_page_renders_for_editors_and_is_linked_from_the_list(client, cast):
    client.force_login(cast.doctor_a)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert_strict_page(response)
    assert f'href="{URL}"' in client.get("/w/residents/").content.decode()


@pytest.mark.parametrize("user", ["cashier", "auditor", "wang_user"])
def test_other_roles_may_not_import(client, cast, user):
    client.force_login(getattr(cast, user))
    assert client.get(URL).status_code == 403
    before = counts()
    assert client.post(URL, upload(csv_bytes(rows()))).status_code == 403
    assert counts() == before


def test_a_bad_row_is_reported_with_row_and_column_and_nothing_is_written(client, cast):
    client.cookies["django_language"] = "en"
    client.force_login(cast.director)
    data = rows()
    data[1][1] = wrong_check_digit(ID_2)
    before = counts()
    response = client.post(URL, upload(csv_bytes(data)))
    assert response.status_code == 400
    html = response.content.decode()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    assert cells == [
        "3",
        "身份证号",
        "The check digit of the ID number is wrong: please check each digit.",
    ]
    assert "Nothing has been written" in html
    assert 'name="confirm"' not in html
    assert IMPORT_SESSION_KEY not in client.session
    assert counts() == before
    assert_strict_page(response)


def test_a_good_file_is_checked_then_committed_on_confirmation(client, cast):
    client.cookies["django_language"] = "en"
    client.force_login(cast.director)
    before = counts()
    response = client.post(URL, upload(xlsx_bytes(rows()), "residents.xlsx"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 rows are ready to import." in html
    assert counts() == before  # the dry run wrote nothing
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', html).group(1)

    committed = client.post(URL, {"confirm": "1", "digest": digest})
    assert committed.status_code == 302
    assert committed["Location"] == "/w/residents/"
    assert Resident.objects.count() == before[0] + 3
    assert set(Resident.objects.filter(name__in=["刘德胜", "孙丽华", "周小宝"]).values_list(
        "community__code", flat=True)) == {"east"}  # fmt: skip
    assert AuditEvent.objects.filter(action="careloop.residents.imported").count() == 1
    assert IMPORT_SESSION_KEY not in client.session
    # A second confirmation has nothing left to commit.
    again = client.post(URL, {"confirm": "1", "digest": digest})
    assert again.status_code == 400
    assert Resident.objects.count() == before[0] + 3


def test_confirmation_of_another_file_is_refused(client, cast):
    client.force_login(cast.director)
    client.post(URL, upload(csv_bytes(rows())))
    before = counts()
    response = client.post(URL, {"confirm": "1", "digest": "0" * 64})
    assert response.status_code == 400
    assert counts() == before


def test_files_over_the_page_limit_are_refused(client, cast):
    client.force_login(cast.director)
    before = counts()
    big = csv_bytes(rows()) + b"x" * IMPORT_MAX_BYTES
    response = client.post(URL, upload(big))
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert IMPORT_SESSION_KEY not in client.session
    assert counts() == before
