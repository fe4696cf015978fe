"""Excel import and export of providers and weekly schedules (openpyxl).

The sheet layouts are ``PROVIDER_COLUMNS`` and ``SCHEDULE_COLUMNS``: Chinese headers, codes
for skills/services/languages separated by commas or 、. Reading a file and turning a row into
service arguments are pure functions; ``import_rows`` is the one function that writes: it
calls the catalogue services row by row inside one transaction and rolls everything back for
a dry run or when any row fails, so a report with errors means nothing was written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from careloop.catalogue import services
from careloop.catalogue.models import (
    DeliveryMode,
    Organisation,
    Provider,
    ProviderKind,
    ProviderSex,
    Weekday,
    WeeklySchedule,
)
from careloop.core.errors import DomainError
from careloop.core.models import User

PROVIDERS = "providers"
SCHEDULES = "schedules"
MAX_ROWS = 2000

# (key, Chinese header). The key is the service argument the column feeds.
PROVIDER_COLUMNS: list[tuple[str, str]] = [
    ("public_id", "编号"),
    ("organisation", "机构编码"),
    ("name", "姓名"),
    ("kind", "类别"),
    ("sex", "性别"),
    ("title", "职称"),
    ("skills", "技能"),
    ("services", "可提供服务"),
    ("languages", "语言"),
    ("radius_km", "上门半径(公里)"),
    ("active", "在岗"),
]
SCHEDULE_COLUMNS: list[tuple[str, str]] = [
    ("provider", "人员编号"),
    ("provider_name", "姓名"),
    ("weekday", "星期"),
    ("start_time", "开始时间"),
    ("end_time", "结束时间"),
    ("slot_minutes", "每段分钟"),
    ("capacity", "每段名额"),
    ("mode", "服务方式"),
    ("location", "地点"),
    ("services", "服务"),
    ("valid_from", "生效日期"),
    ("valid_to", "截止日期"),
    ("runs_on_holidays", "节假日照常"),
    ("organisation", "服务站点机构编码"),
]
COLUMNS = {PROVIDERS: PROVIDER_COLUMNS, SCHEDULES: SCHEDULE_COLUMNS}
REQUIRED = {
    PROVIDERS: {"organisation", "name", "kind", "sex"},
    SCHEDULES: {"provider", "weekday", "start_time", "end_time", "slot_minutes", "mode",
                "valid_from"},
}  # fmt: skip
# A service error on one of these fields belongs to that column.
FIELD_COLUMN = {"user": "", "base_latitude": "", "base_longitude": ""}

WEEKDAY_NAMES = ["一", "二", "三", "四", "五", "六", "日"]
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", ""}
SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it (the header is row 1); 0 for the whole file
    column: str  # the header, "" when the error is not about one column
    message: str


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]


# ---- choice labels -------------------------------------------------------------------------


def _labels(choices: Any) -> dict[str, str]:
    """Code → Chinese label, for writing cells."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def _lookup(choices: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Anything a person may type (code, Chinese or English label) → code."""
    found = {str(value).lower(): str(value) for value in choices.values}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            found.update({str(label).lower(): str(value) for value, label in choices.choices})
    found.update(extra or {})
    return found


SEX_EXTRA = {"男": "M", "女": "F"}
MODE_EXTRA = {"上门": "home", "到院": "clinic", "线上": "online", "团体": "group"}


# ---- writing -------------------------------------------------------------------------------


def _workbook(kind: str, rows: Iterable[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active  # a new workbook has one worksheet, active
    assert isinstance(sheet, Worksheet)
    sheet.title = "人员" if kind == PROVIDERS else "排班"
    sheet.append([header for _key, header in COLUMNS[kind]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, (_key, header) in enumerate(COLUMNS[kind], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(header) * 2 + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _codes(rows: Iterable[Any]) -> str:
    return "、".join(sorted(row.code for row in rows))


def export_providers(providers: Iterable[Provider]) -> bytes:
    """Providers (prefetch skills, services, languages and organisation) as .xlsx bytes."""
    kinds, sexes = _labels(ProviderKind), _labels(ProviderSex)
    rows = [
        [
            p.public_id,
            p.organisation.code,
            p.name,
            kinds.get(p.kind, p.kind),
            sexes.get(p.sex, p.sex),
            p.title,
            _codes(p.skills.all()),
            _codes(p.services.all()),
            _codes(p.languages.all()),
            float(p.radius_km),
            "是" if p.active else "否",
        ]
        for p in providers
    ]
    return _workbook(PROVIDERS, rows)


def export_schedules(schedules: Iterable[WeeklySchedule]) -> bytes:
    """Active weekly schedules (select provider and organisation, prefetch services)."""
    modes = _labels(DeliveryMode)
    rows = [
        [
            s.provider.public_id,
            s.provider.name,
            f"周{WEEKDAY_NAMES[s.weekday]}",
            f"{s.start_time:%H:%M}",
            f"{s.end_time:%H:%M}",
            s.slot_minutes,
            s.capacity,
            modes.get(s.mode, s.mode),
            s.location,
            _codes(s.services.all()),
            s.valid_from,
            s.valid_to,
            "是" if s.runs_on_holidays else "否",
            s.organisation.code,
        ]
        for s in schedules
    ]
    return _workbook(SCHEDULES, rows)


# ---- reading (pure) ------------------------------------------------------------------------


def read_sheet(kind: str, data: bytes) -> tuple[list[ParsedRow], list[RowError]]:
    """The rows of the first sheet keyed by column key, with Excel row numbers. Unknown
    headers are ignored; a missing required header is a whole-file error. Blank rows skip."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        return [], [RowError(0, "", _("This is not an Excel (.xlsx) file."))]
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    by_header = {h: key for key, h in COLUMNS[kind]}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = by_header.get(str(cell or "").strip())
        if key and key not in positions:
            positions[key] = index
    headers = dict(COLUMNS[kind])
    missing = [headers[k] for k, _h in COLUMNS[kind] if k in REQUIRED[kind] and k not in positions]
    if missing:
        message = _("Missing column: %(columns)s") % {"columns": "、".join(missing)}
        return [], [RowError(1, "", message)]
    parsed: list[ParsedRow] = []
    for number, values in enumerate(rows, start=2):
        cells = {key: values[i] if i < len(values) else None for key, i in positions.items()}
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            continue
        parsed.append(ParsedRow(number, cells))
        if len(parsed) > MAX_ROWS:
            return [], [RowError(0, "", _("At most %(n)s rows at a time.") % {"n": MAX_ROWS})]
    book.close()
    return parsed, []


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code_list(value: Any) -> list[str]:
    return [part for part in SPLIT.split(_text(value)) if part]


def _bool(value: Any) -> bool | None:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    return int(text) if text.isdigit() else None


def _time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})(?::\d{2})?", _text(value))
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
        return None


def _weekday(value: Any) -> int | None:
    text = _text(value).replace("星期", "").replace("周", "").replace("天", "日")
    if text in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(text)
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text) - 1
    found = _lookup(Weekday)
    return int(found[text.lower()]) if text.lower() in found else None


def parse_provider_row(row: ParsedRow) -> tuple[dict[str, Any], list[RowError]]:
    """Cells → arguments of ``create_provider`` / ``update_provider`` (codes, not rows)."""
    headers = dict(PROVIDER_COLUMNS)
    errors: list[RowError] = []
    cells = row.values
    out: dict[str, Any] = {}

    def bad(key: str, message: str) -> None:
        errors.append(RowError(row.number, headers[key], message))

    out["public_id"] = _text(cells.get("public_id"))
    out["organisation"] = _text(cells.get("organisation"))
    if not out["organisation"] and not out["public_id"]:
        bad("organisation", _("Enter the organisation code."))
    out["name"] = _text(cells.get("name"))
    if not out["name"]:
        bad("name", _("Enter the name."))
    for key, choices, extra in (
        ("kind", ProviderKind, None),
        ("sex", ProviderSex, SEX_EXTRA),
    ):
        text = _text(cells.get(key)).lower()
        code = _lookup(choices, extra).get(text)
        if code is None:
            bad(key, _("Choose a value from the list."))
        out[key] = code
    if "title" in cells:
        out["title"] = _text(cells.get("title"))
    for key in ("skills", "services", "languages"):
        if key in cells:
            out[key] = _code_list(cells.get(key))
    if "radius_km" in cells and _text(cells.get("radius_km")):
        try:
            out["radius_km"] = Decimal(_text(cells.get("radius_km")))
        except InvalidOperation:
            bad("radius_km", _("Enter a number."))
    if "active" in cells:
        active = _bool(cells.get("active"))
        if active is None:
            bad("active", _("Enter 是 or 否."))
        out["active"] = True if active is None else active
    return out, errors


def parse_schedule_row(row: ParsedRow) -> tuple[dict[str, Any], list[RowError]]:
    """Cells → arguments of ``create_weekly_schedule`` (provider and site as codes)."""
    headers = dict(SCHEDULE_COLUMNS)
    errors: list[RowError] = []
    cells = row.values
    out: dict[str, Any] = {}

    def bad(key: str, message: str) -> None:
        errors.append(RowError(row.number, headers[key], message))

    out["provider"] = _text(cells.get("provider"))
    if not out["provider"]:
        bad("provider", _("Enter the provider's number."))
    out["weekday"] = _weekday(cells.get("weekday"))
    if out["weekday"] is None:
        bad("weekday", _("Enter a weekday, e.g. 周一."))
    for key in ("start_time", "end_time"):
        out[key] = _time(cells.get(key))
        if out[key] is None:
            bad(key, _("Enter a time such as 08:30."))
    for key, default in (("slot_minutes", None), ("capacity", 1)):
        raw = cells.get(key)
        value = _int(raw) if _text(raw) else default
        if value is None:
            bad(key, _("Enter a whole number."))
        out[key] = value
    mode = _lookup(DeliveryMode, MODE_EXTRA).get(_text(cells.get("mode")).lower())
    if mode is None:
        bad("mode", _("Choose a value from the list."))
    out["mode"] = mode
    out["location"] = _text(cells.get("location"))
    out["services"] = _code_list(cells.get("services"))
    out["valid_from"] = _date(cells.get("valid_from"))
    if out["valid_from"] is None:
        bad("valid_from", _("Enter a date such as 2026-03-02."))
    out["valid_to"] = None
    if _text(cells.get("valid_to")):
        out["valid_to"] = _date(cells.get("valid_to"))
        if out["valid_to"] is None:
            bad("valid_to", _("Enter a date such as 2026-03-02."))
    holidays = _bool(cells.get("runs_on_holidays"))
    if holidays is None:
        bad("runs_on_holidays", _("Enter 是 or 否."))
    out["runs_on_holidays"] = bool(holidays)
    out["organisation"] = _text(cells.get("organisation"))
    return out, errors


# ---- the one writing function --------------------------------------------------------------


class _Rollback(Exception):
    pass


def _domain_errors(kind: str, number: int, error: DomainError) -> list[RowError]:
    headers = dict(COLUMNS[kind])
    if not error.fields:
        return [RowError(number, "", str(error.message))]
    return [
        RowError(number, headers.get(name, ""), str(message))
        for name, messages in error.fields.items()
        for message in messages
    ]


def _provider_row(actor: User, number: int, args: dict[str, Any], report: ImportReport) -> None:
    public_id = args.pop("public_id")
    code = args.pop("organisation")
    headers = dict(PROVIDER_COLUMNS)
    if public_id:
        provider = Provider.objects.filter(public_id=public_id).first()
        if provider is None:
            report.errors.append(RowError(number, headers["public_id"], _("No such provider.")))
            return
        if code and code != provider.organisation.code:
            message = _("A provider cannot move to another organisation.")
            report.errors.append(RowError(number, headers["organisation"], message))
            return
        services.update_provider(actor=actor, provider=provider, changes=args)
        report.updated += 1
        return
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        report.errors.append(
            RowError(number, headers["organisation"], _("No organisation with this code."))
        )
        return
    services.create_provider(actor=actor, organisation=organisation, **args)
    report.created += 1


def _schedule_row(actor: User, number: int, args: dict[str, Any], report: ImportReport) -> None:
    headers = dict(SCHEDULE_COLUMNS)
    provider = (
        Provider.objects.filter(public_id=args.pop("provider"))
        .select_related("organisation")
        .first()
    )
    if provider is None:
        report.errors.append(RowError(number, headers["provider"], _("No such provider.")))
        return
    site_code = args.pop("organisation")
    site = None
    if site_code:
        site = Organisation.objects.filter(code=site_code).first()
        if site is None:
            message = _("No organisation with this code.")
            report.errors.append(RowError(number, headers["organisation"], message))
            return
    codes = set(args.pop("services"))
    offered = {s.code: s for s in provider.services.all()}
    unknown = sorted(codes - set(offered))
    if unknown:
        message = _("The provider does not offer: %(codes)s") % {"codes": "、".join(unknown)}
        report.errors.append(RowError(number, headers["services"], message))
        return
    services.create_weekly_schedule(
        actor=actor,
        provider=provider,
        organisation=site,
        services=[offered[c] for c in sorted(codes)],
        **args,
    )
    report.created += 1


def import_rows(*, actor: User, kind: str, data: bytes, commit: bool) -> ImportReport:
    """Check (``commit=False``) or import an .xlsx of ``kind``. Every row goes through the
    catalogue services inside one transaction; a dry run, or any row error, rolls it all
    back. ``ForbiddenError`` from a service is reported on its row like any other error."""
    report = ImportReport(kind=kind)
    rows, errors = read_sheet(kind, data)
    report.rows = len(rows)
    report.errors.extend(errors)
    if errors:
        return report
    parse = parse_provider_row if kind == PROVIDERS else parse_schedule_row
    write = _provider_row if kind == PROVIDERS else _schedule_row
    try:
        with transaction.atomic():
            for row in rows:
                args, row_errors = parse(row)
                if kind == SCHEDULES:
                    args.pop("provider_name", None)
                if row_errors:
                    report.errors.extend(row_errors)
                    continue
                try:
                    with transaction.atomic():
                        write(actor, row.number, args, report)
                except DomainError as error:
                    report.errors.extend(_domain_errors(kind, row.number, error))
            if report.errors or not commit:
                raise _Rollback
            report.committed = True
    except _Rollback:
        pass
    if not report.ok:
        report.created = report.updated = 0
    return report
