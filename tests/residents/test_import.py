"""Import of resident records from CSV (UTF-8 and GBK) and xlsx with Chinese or English
headers: a dry-run report of row errors, and all rows or nothing written."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from careloop.core import crypto
from careloop.core.errors import ForbiddenError
from careloop.core.models import AuditEvent
from careloop.residents.importers import import_residents, read_table
from careloop.residents.models import (
    CareContract,
    Household,
    ProfileSource,
    Resident,
    ResidentCondition,
)
from careloop.residents.profile_selectors import tags_of
from tests.conftest import ID_WANG
from tests.residents.profile_helpers import id_number, wrong_check_digit

HEADERS_ZH = [
    "姓名",
    "身份证号",
    "手机号",
    "住址",
    "户号",
    "独居",
    "残疾类型",
    "慢病",
    "家庭医生团队",
]
HEADERS_EN = [
    "name",
    "id_number",
    "phone",
    "address",
    "household",
    "living_alone",
    "disability",
    "conditions",
    "care_team",
]
ID_1 = id_number("420106", "19400315", "021")  # 80+ man
ID_2 = id_number("420106", "19580720", "042")
ID_3 = id_number("420106", "20210101", "063")


def rows() -> list[list[str]]:
    return [
        [
            "刘德胜",
            ID_1,
            "13512345678",
            "武汉市武昌区中北路8号",
            "H-001",
            "是",
            "视力残疾",
            "I10；E11",
            "王医生团队",
        ],
        ["孙丽华", ID_2, "", "武汉市武昌区中北路9号", "H-002", "否", "", "高血压、K76.0", ""],
        ["周小宝", ID_3, "", "武汉市武昌区中北路9号", "H-002", "", "无", "", ""],
    ]


def csv_bytes(data: list[list[str]], headers=HEADERS_ZH, encoding="gbk") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(data)
    return out.getvalue().encode(encoding)


def xlsx_bytes(data: list[list[object]], headers=HEADERS_ZH) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def errors_of(report) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in report.as_dict()["errors"]]


def test_gbk_csv_with_chinese_headers_is_read():
    data = csv_bytes(rows())
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(data)
    assert (table.format, table.encoding, table.headers) == ("csv", "gb18030", HEADERS_ZH)
    assert [number for number, _ in table.rows] == [2, 3, 4]
    assert table.rows[0][1][0] == "刘德胜"


def test_xlsx_with_chinese_headers_is_read():
    table = read_table(xlsx_bytes(rows()))
    assert (table.format, table.headers) == ("xlsx", HEADERS_ZH)
    assert table.rows[1][1][:2] == ["孙丽华", ID_2]


def test_dry_run_writes_nothing(cast):
    before = Resident.objects.count(), AuditEvent.objects.count()
    report = import_residents(actor=cast.director, community=cast.east, file=csv_bytes(rows()))
    assert report.ok and report.dry_run and not report.committed
    assert (report.rows, report.created) == (3, 0)
    assert (Resident.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("kind", ["gbk_csv", "utf8_csv", "xlsx", "english_headers"])
def test_successful_import_writes_every_row_and_audits(cast, kind):
    data = {
        "gbk_csv": lambda: csv_bytes(rows()),
        "utf8_csv": lambda: b"\xef\xbb\xbf" + csv_bytes(rows(), encoding="utf-8"),
        "xlsx": lambda: xlsx_bytes(rows()),
        "english_headers": lambda: csv_bytes(rows(), headers=HEADERS_EN, encoding="utf-8"),
    }[kind]()
    report = import_residents(actor=cast.director, community=cast.east, file=data, dry_run=False)
    assert report.errors == []
    assert (report.committed, report.created) == (True, 3)
    liu = Resident.objects.get(id_number_hash=crypto.blind_index(ID_1, purpose="id_number"))
    assert (liu.name, liu.sex, liu.phone, liu.living_alone, liu.disability) == (
        "刘德胜",
        "M",
        "13512345678",
        True,
        "visual",
    )
    assert liu.household.code == "H-001"
    assert Household.objects.get(community=cast.east, code="H-002").members.count() == 2
    assert CareContract.objects.get(resident=liu).team == cast.team_a
    assert sorted(
        ResidentCondition.objects.filter(resident=liu).values_list("condition__code", "source")
    ) == [("E11", ProfileSource.IMPORT), ("I10", ProfileSource.IMPORT)]
    assert {"htn_dm", "alone_elderly", "disability"} <= tags_of(liu)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("careloop.resident.created") == 4 + 3  # the cast's four, then three
    assert actions.count("careloop.condition.recorded") == 4
    assert actions.count("careloop.household.created") == 2
    imported = AuditEvent.objects.get(action="careloop.residents.imported")
    assert imported.detail["rows"] == 3


def test_a_wrong_check_digit_names_row_and_column_and_nothing_is_written(cast):
    data = rows()
    data[1][1] = wrong_check_digit(ID_2)
    before = Resident.objects.count(), AuditEvent.objects.count(), Household.objects.count()
    with translation.override("en"):
        report = import_residents(
            actor=cast.director, community=cast.east, file=csv_bytes(data), dry_run=False
        )
        assert errors_of(report) == [
            (3, "身份证号", "The check digit of the ID number is wrong: please check each digit.")
        ]
    assert not report.committed and report.created == 0
    assert (
        Resident.objects.count(),
        AuditEvent.objects.count(),
        Household.objects.count(),
    ) == before
    assert not ResidentCondition.objects.exists()


def test_row_numbers_follow_the_spreadsheet_with_blank_rows(cast):
    data = rows()
    data[2][0] = ""  # no name on the third person
    blank = [""] * len(HEADERS_ZH)
    report = import_residents(
        actor=cast.director,
        community=cast.east,
        file=xlsx_bytes([data[0], blank, data[1], data[2]]),
    )
    assert [(row, column) for row, column, _ in errors_of(report)] == [(5, "姓名")]


def test_duplicates_in_file_and_in_database_are_reported(cast):
    data = rows()
    data[2][1] = ID_1  # the same person twice
    data.append(["王秀英", ID_WANG, "", "", "", "", "", "", ""])  # already registered
    with translation.override("en"):
        report = import_residents(actor=cast.director, community=cast.east, file=csv_bytes(data))
        assert errors_of(report) == [
            (4, "身份证号", "The same ID number is already on row 2 of this file."),
            (5, "身份证号", "A resident with this ID number is already registered."),
        ]


def test_values_are_checked_with_the_registration_rules_and_lookups(cast):
    data = rows()
    data[0][2] = "1234"  # phone
    data[0][5] = "也许"  # living alone
    data[0][6] = "色盲"  # disability
    data[1][7] = "I10;脚气"  # unknown condition
    data[1][8] = "不存在的团队"
    with translation.override("en"):
        report = import_residents(
            actor=cast.director, community=cast.east, file=csv_bytes(data), dry_run=False
        )
        assert errors_of(report) == [
            (2, "独居", "Enter 是 or 否 (yes or no)."),
            (2, "手机号", "A mainland mobile number has 11 digits and starts with 13–19."),
            (2, "残疾类型", "Choose a disability type from the list."),
            (3, "家庭医生团队", "No care team of this community is called “不存在的团队”."),
            (3, "慢病", "Unknown condition “脚气”: use an ICD-10 code or a name from the list."),
        ]
    assert Resident.objects.count() == 4


def test_missing_columns_and_unreadable_files(cast):
    with translation.override("en"):
        report = import_residents(
            actor=cast.director, community=cast.east, file=csv_bytes([["x"]], headers=["备注"])
        )
        assert errors_of(report) == [
            (1, "姓名", "This column is missing."),
            (1, "身份证号", "This column is missing."),
        ]
        assert report.ignored_columns == ["备注"]
        report = import_residents(actor=cast.director, community=cast.east, file=b"")
        assert errors_of(report) == [(0, "", "The file is empty.")]
        report = import_residents(actor=cast.director, community=cast.east, file=b"PK\x03\x04xx")
        assert errors_of(report) == [(0, "", "The file is not a readable Excel workbook (.xlsx).")]


def test_only_editors_of_the_community_import(cast):
    for actor in (cast.cashier, cast.auditor, cast.west_director):
        with pytest.raises(ForbiddenError):
            import_residents(actor=actor, community=cast.east, file=csv_bytes(rows()))


def test_management_command_dry_run_then_commit(cast, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_bytes(csv_bytes(rows()))
    out = io.StringIO()
    call_command(
        "import-residents",
        str(path),
        "--community",
        "east",
        "--user",
        "director",
        "--language",
        "en",
        stdout=out,
    )
    assert "csv (gb18030): 3 data rows" in out.getvalue()
    assert "dry run: no errors" in out.getvalue()
    assert Resident.objects.count() == 4
    call_command(
        "import-residents", str(path), "--community", "east", "--commit", stdout=io.StringIO()
    )
    assert Resident.objects.count() == 7
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import-residents",
            str(path),
            "--community",
            "east",
            "--commit",
            "--language",
            "en",
            stdout=out,
        )
    assert (
        "row 2 [身份证号]: A resident with this ID number is already registered." in out.getvalue()
    )
    assert Resident.objects.count() == 7
