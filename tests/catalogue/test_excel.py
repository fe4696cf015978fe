"""Excel import/export of providers and weekly schedules: Chinese headers, a dry run that
writes nothing, a report naming the Excel row and column, commit through the services."""

from __future__ import annotations

import io
from datetime import time

from openpyxl import Workbook, load_workbook

from careloop.catalogue import excel
from careloop.catalogue.models import Provider, WeeklySchedule
from careloop.core.models import AuditEvent

EXCEL = "/console/catalogue/excel/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def book_bytes(kind: str, rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([header for _key, header in excel.COLUMNS[kind]])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=XLSX)


def test_export_providers_has_chinese_headers(client, net, cast):
    client.force_login(cast.director)
    response = client.get(f"{EXCEL}providers.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    rows = sheet_rows(response.content)
    assert rows[0][:5] == ("编号", "机构编码", "姓名", "类别", "性别")
    names = {row[2] for row in rows[1:]}
    assert names == {"王医生", "刘康复", "陈志愿", "张主任"}
    doctor = next(row for row in rows if row[2] == "王医生")
    assert doctor[1] == "east.centre"
    assert doctor[6] == "doctor"
    assert doctor[10] == "是"


def test_export_schedules(client, net, cast):
    client.force_login(cast.doctor_a)  # reading is open to staff
    rows = sheet_rows(client.get(f"{EXCEL}schedules.xlsx").content)
    assert rows[0][:4] == ("人员编号", "姓名", "星期", "开始时间")
    monday = next(row for row in rows[1:] if row[1] == "王医生")
    assert monday[2:5] == ("周一", "08:30", "12:30")


def test_provider_round_trip_updates_in_place(client, net, cast):
    client.force_login(cast.director)
    data = client.get(f"{EXCEL}providers.xlsx").content
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == "陈志愿":
            row[9].value = 5  # radius
        if row[2].value == "张主任":
            sheet.delete_rows(row[0].row)  # the hospital is not ours to edit
            break
    sheet.append(
        [None, "east.centre", "孙护士", "practitioner", "女", "护师", "nurse", "", "zh", 2, "是"]
    )
    out = io.BytesIO()
    book.save(out)
    before = Provider.objects.count()

    # Dry run: a report, nothing written.
    response = client.post(f"{EXCEL}providers/import/", {"file": upload("p.xlsx", out.getvalue())})
    assert response.status_code == 200, response.content.decode()[-2000:]
    assert Provider.objects.count() == before
    assert not Provider.objects.filter(name="孙护士").exists()
    digest = response.context["digest"]
    assert response.context["report"].created == 1
    assert response.context["report"].updated == 3

    response = client.post(f"{EXCEL}providers/import/", {"confirm": "1", "digest": digest})
    assert response.status_code == 302
    assert Provider.objects.count() == before + 1
    nurse = Provider.objects.get(name="孙护士")
    assert (nurse.kind, nurse.sex, nurse.organisation) == ("practitioner", "F", net.centre)
    net.volunteer.refresh_from_db()
    assert str(net.volunteer.radius_km) == "5.0"
    assert AuditEvent.objects.filter(action="careloop.catalogue.provider_created").count() == 5


def test_bad_row_is_reported_by_row_and_column_and_nothing_is_written(client, net, cast):
    client.force_login(cast.director)
    data = book_bytes(
        excel.PROVIDERS,
        [
            [None, "east.centre", "好人", "volunteer", "男", "", "volunteer", "", "", 1, "是"],
            [None, "east.centre", "坏行", "机器人", "女", "", "", "", "", 1, "是"],
            [None, "no.such.org", "无处", "volunteer", "女", "", "", "", "", 1, "是"],
            [None, "east.centre", "技能错", "volunteer", "女", "", "flying", "", "", 1, "是"],
        ],
    )
    before = Provider.objects.count(), AuditEvent.objects.count()
    response = client.post(f"{EXCEL}providers/import/", {"file": upload("bad.xlsx", data)})
    assert response.status_code == 400
    errors = response.context["report"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "类别"), (4, "机构编码"), (5, "技能")]
    html = response.content.decode()
    assert "类别" in html and "机构编码" in html
    assert (Provider.objects.count(), AuditEvent.objects.count()) == before
    assert "catalogue_import" not in client.session
    # A confirm without a checked file does nothing either.
    response = client.post(f"{EXCEL}providers/import/", {"confirm": "1", "digest": "x"})
    assert response.status_code == 400
    assert Provider.objects.count() == before[0]


def test_schedule_import_commits_through_the_service(client, net, cast):
    client.force_login(cast.director)
    data = book_bytes(
        excel.SCHEDULES,
        [
            [net.doctor.public_id, "王医生", "周二", "14:00", "16:00", 30, 1, "上门", "",
             "basic.common_illness", "2026-02-09", None, "否", None],
            [net.doctor.public_id, "王医生", "周四", time(8, 0), time(11, 0), 60, 1, "到院",
             "全科诊室2", "", "2026-02-09", "2026-06-30", "否", None],
        ],
    )  # fmt: skip
    response = client.post(f"{EXCEL}schedules/import/", {"file": upload("s.xlsx", data)})
    assert response.status_code == 200
    assert WeeklySchedule.objects.filter(provider=net.doctor).count() == 1
    response = client.post(
        f"{EXCEL}schedules/import/", {"confirm": "1", "digest": response.context["digest"]}
    )
    assert response.status_code == 302
    schedules = WeeklySchedule.objects.filter(provider=net.doctor).order_by("weekday")
    assert [(s.weekday, s.mode) for s in schedules] == [(0, "clinic"), (1, "home"), (3, "clinic")]


def test_schedule_import_overlap_and_bad_cells(client, net, cast):
    client.force_login(cast.director)
    data = book_bytes(
        excel.SCHEDULES,
        [
            # Overlaps the Monday clinic (a service error on start_time).
            [net.doctor.public_id, "", "周一", "09:00", "10:00", 30, 1, "clinic", "", "",
             "2026-02-09", None, "否", None],
            [net.doctor.public_id, "", "周八", "25:00", "10:00", "abc", 1, "飞行", "", "",
             "昨天", None, "也许", None],
        ],
    )  # fmt: skip
    report = excel.import_rows(actor=cast.director, kind=excel.SCHEDULES, data=data, commit=True)
    assert not report.committed
    cells = {(e.row, e.column) for e in report.errors}
    assert (2, "开始时间") in cells
    assert {(3, "星期"), (3, "开始时间"), (3, "每段分钟"), (3, "服务方式"), (3, "生效日期"),
            (3, "节假日照常")} <= cells  # fmt: skip
    assert WeeklySchedule.objects.count() == 2


def test_missing_header_and_not_excel(cast, db):
    report = excel.import_rows(
        actor=cast.director, kind=excel.PROVIDERS, data=b"not a zip", commit=True
    )
    assert [e.row for e in report.errors] == [0]
    book = Workbook()
    book.active.append(["姓名"])
    out = io.BytesIO()
    book.save(out)
    report = excel.import_rows(
        actor=cast.director, kind=excel.PROVIDERS, data=out.getvalue(), commit=True
    )
    assert report.errors[0].row == 1
    assert "机构编码" in report.errors[0].message


def test_readers_cannot_import(client, net, cast):
    client.force_login(cast.doctor_a)
    data = book_bytes(excel.PROVIDERS, [])
    response = client.post(f"{EXCEL}providers/import/", {"file": upload("p.xlsx", data)})
    assert response.status_code == 403


def test_unknown_kind_is_404(client, cast):
    client.force_login(cast.director)
    assert client.get(f"{EXCEL}residents.xlsx").status_code == 404
