"""Import existing resident records from the spreadsheets centres keep today.

Accepted files: CSV in UTF-8 (with or without BOM) or GBK/GB18030 (what Chinese Excel
writes when it saves "CSV"), and Excel ``.xlsx`` (first sheet). The first row holds the
column headers, in Chinese or English (``COLUMNS``); unknown columns are ignored and listed.

``import_residents`` checks every row with the same rules as ``services.register_resident``
(``validate_new_resident``) plus the import's own checks (duplicate ID numbers within the
file, known conditions and care teams) and returns an ``ImportReport``. A dry run writes
nothing. A real run writes all rows in one transaction, and writes nothing at all when any
row has an error. Row numbers are the row numbers the user sees in Excel (headers on row 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.core.models import Community, User
from careloop.core.validators import normalise_id_number
from careloop.residents import services
from careloop.residents.models import CareTeam, ConditionType, Disability, ProfileSource
from careloop.residents.services.profile import _record_condition

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"

# field: accepted headers (compared without spaces, case and any "(…)" / "（…）" note).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "id_number", "idcard"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "phone", "mobile"),
    "address": ("住址", "地址", "家庭住址", "现住址", "address"),
    "household": ("户号", "家庭户号", "household", "householdnumber", "household_code"),
    "living_alone": ("独居", "是否独居", "living_alone", "livesalone", "livingalone"),
    "disability": ("残疾类型", "残疾", "disability"),
    "conditions": ("慢病", "慢性病", "疾病", "conditions", "chronicconditions"),
    "care_team": ("家庭医生团队", "签约团队", "签约家庭医生团队", "care_team", "careteam"),
    "occupation": ("职业", "occupation"),
}
REQUIRED = ("name", "id_number")
# The header shown when a required column is missing.
DEFAULT_HEADERS = {"name": "姓名", "id_number": "身份证号"}

YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "独居"})
NO = frozenset({"", "否", "n", "no", "false", "0", "×", "非独居"})
DISABILITY_WORDS = {
    "无": Disability.NONE,
    "否": Disability.NONE,
    "肢体": Disability.PHYSICAL,
    "视力": Disability.VISUAL,
    "听力": Disability.HEARING,
    "言语": Disability.HEARING,
    "听力言语": Disability.HEARING,
    "智力": Disability.INTELLECTUAL,
    "精神": Disability.MENTAL,
    "多重": Disability.MULTIPLE,
}
LIST_SEPARATORS = re.compile(r"[;；、,，/\n]+")
NOTE_IN_BRACKETS = re.compile(r"[(（].*?[)）]")


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it: headers are row 1; 0 for the file as a whole
    column: str  # the header as written in the file ("" for the whole row or file)
    message: Any  # translated (lazy) text

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class ImportReport:
    format: str = ""
    encoding: str = ""
    rows: int = 0
    dry_run: bool = True
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    committed: bool = False
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, column: str, message: Any) -> None:
        self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "committed": self.committed,
            "created": self.created,
            "ignored_columns": list(self.ignored_columns),
            "errors": [e.as_dict() for e in sorted(self.errors, key=lambda e: e.row)],
        }


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    resident: dict[str, Any] = field(default_factory=dict)
    household: str = ""
    team: CareTeam | None = None
    conditions: list[ConditionType] = field(default_factory=list)


@dataclass
class Table:
    format: str
    encoding: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]


class UnreadableFile(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# ---- reading ------------------------------------------------------------------------------


def read_table(data: bytes) -> Table:
    """Headers and non-empty rows (with their spreadsheet row numbers) of a CSV or xlsx."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(_("The file is not a readable Excel workbook (.xlsx).")) from None
    try:
        sheet = workbook.worksheets[0]
        lines = [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return _table("xlsx", "", lines)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def _read_csv(data: bytes) -> Table:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise UnreadableFile(_("The file is neither UTF-8 nor GBK text: save it as CSV or .xlsx."))
    if "\x00" in text:
        raise UnreadableFile(_("The file is neither UTF-8 nor GBK text: save it as CSV or .xlsx."))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = [(number, [c.strip() for c in cells]) for number, cells in enumerate(reader, 1)]
    except csv.Error:
        raise UnreadableFile(_("The CSV file is damaged (unbalanced quotes?).")) from None
    return _table("csv", "utf-8" if encoding == "utf-8-sig" else "gb18030", lines)


def _table(kind: str, encoding: str, lines: list[tuple[int, list[str]]]) -> Table:
    lines = [(number, cells) for number, cells in lines if any(cells)]
    if not lines:
        raise UnreadableFile(_("The file is empty."))
    (_header_row, headers), *rows = lines
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(
            _("The file has more than %(limit)s rows: split it.") % {"limit": MAX_ROWS}
        )
    return Table(kind, encoding, headers, rows)


def _header_key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", NOTE_IN_BRACKETS.sub("", header)).lower()


def map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """``{field: column index}`` and the headers not understood."""
    lookup = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = lookup.get(_header_key(header))
        if name is None or name in mapping:
            if header:
                ignored.append(header)
            continue
        mapping[name] = index
    return mapping, ignored


# ---- checking -----------------------------------------------------------------------------


def _read_file(file: bytes | str | Path | IO[bytes]) -> bytes:
    if isinstance(file, bytes):
        return file
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    return file.read(MAX_BYTES + 1)


def _yes_no(value: str) -> bool | None:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def _disability_code(value: str) -> str:
    word = value.strip()
    if word in Disability.values:
        return word
    for code, label in Disability.choices:
        if code and word.lower() == str(label).lower():
            return code
    stem = word.removesuffix("残疾").removesuffix("障碍")
    return DISABILITY_WORDS.get(stem, word)


class _Checker:
    """Checks rows one by one, remembering ID numbers and the lookups already made."""

    def __init__(self, community: Community, headers: list[str], mapping: dict[str, int]):
        self.community = community
        self.headers = headers
        self.mapping = mapping
        self.seen_ids: dict[str, int] = {}
        self.conditions: dict[str, ConditionType | None] = {}
        self.teams = {team.name: team for team in CareTeam.objects.filter(community=community)}

    def header(self, name: str) -> str:
        index = self.mapping.get(name)
        return self.headers[index] if index is not None else DEFAULT_HEADERS.get(name, name)

    def check(self, number: int, cells: list[str], report: ImportReport) -> _Row | None:
        values = {
            name: (cells[index] if index < len(cells) else "")
            for name, index in self.mapping.items()
        }
        row = _Row(number=number, values=values)
        errors_before = len(report.errors)
        living_alone = _yes_no(values.get("living_alone", ""))
        if living_alone is None:
            report.error(number, self.header("living_alone"), _("Enter 是 or 否 (yes or no)."))
        try:
            row.resident = services.validate_new_resident(
                community=self.community,
                name=values.get("name", ""),
                id_number=values.get("id_number", ""),
                phone=values.get("phone", ""),
                address=values.get("address", ""),
                occupation=values.get("occupation", ""),
                living_alone=bool(living_alone),
                disability=_disability_code(values.get("disability", "")),
            )
        except DomainError as exc:
            for name, messages in exc.fields.items():
                for message in messages:
                    report.error(number, self.header(name), message)
        id_number = normalise_id_number(values.get("id_number", ""))
        if id_number:
            first = self.seen_ids.setdefault(id_number, number)
            if first != number:
                report.error(
                    number,
                    self.header("id_number"),
                    _("The same ID number is already on row %(row)s of this file.")
                    % {"row": first},
                )
        row.household = values.get("household", "").strip()
        if len(row.household) > 40:
            report.error(
                number,
                self.header("household"),
                _("A household number has at most 40 characters."),
            )
        team_name = values.get("care_team", "").strip()
        if team_name:
            row.team = self.teams.get(team_name)
            if row.team is None:
                report.error(
                    number,
                    self.header("care_team"),
                    _("No care team of this community is called “%(team)s”.") % {"team": team_name},
                )
        for text in _split(values.get("conditions", "")):
            if text not in self.conditions:
                self.conditions[text] = services.find_condition_type(text)
            condition = self.conditions[text]
            if condition is None:
                report.error(
                    number,
                    self.header("conditions"),
                    _("Unknown condition “%(value)s”: use an ICD-10 code or a name from the list.")
                    % {"value": text},
                )
            elif condition not in row.conditions:
                row.conditions.append(condition)
        return row if len(report.errors) == errors_before else None


def _split(value: str) -> Iterable[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(value) if part.strip()]


# ---- the service --------------------------------------------------------------------------


def import_residents(
    *,
    actor: User,
    community: Community,
    file: bytes | str | Path | IO[bytes],
    dry_run: bool = True,
) -> ImportReport:
    """Check (and unless ``dry_run``, write) the residents of a CSV or xlsx file."""
    services._require_editor(actor, community)
    report = ImportReport(dry_run=dry_run)
    data = _read_file(file)
    if len(data) > MAX_BYTES:
        report.error(0, "", _("The file is larger than 20 MB: split it."))
        return report
    try:
        table = read_table(data)
    except UnreadableFile as exc:
        report.error(0, "", exc.message)
        return report
    report.format, report.encoding, report.rows = table.format, table.encoding, len(table.rows)
    mapping, report.ignored_columns = map_headers(table.headers)
    missing = [name for name in REQUIRED if name not in mapping]
    for name in missing:
        report.error(1, DEFAULT_HEADERS[name], _("This column is missing."))
    if missing:
        return report
    checker = _Checker(community, table.headers, mapping)
    rows = [checker.check(number, cells, report) for number, cells in table.rows]
    if not report.ok or dry_run:
        return report
    _write(actor, community, [row for row in rows if row is not None], report, checker)
    return report


def _write(
    actor: User, community: Community, rows: list[_Row], report: ImportReport, checker: _Checker
) -> None:
    current: _Row | None = None
    households: dict[str, Any] = {}
    try:
        with transaction.atomic():
            for current in rows:
                household = None
                if current.household:
                    household = households.get(current.household)
                    if household is None:
                        household = services.create_household(
                            actor=actor,
                            community=community,
                            code=current.household,
                            address=current.resident.get("address", ""),
                        )
                        households[current.household] = household
                resident = services.register_resident(
                    actor=actor,
                    community=community,
                    household=household,
                    name=current.values.get("name", ""),
                    id_number=current.values.get("id_number", ""),
                    phone=current.values.get("phone", ""),
                    address=current.values.get("address", ""),
                    occupation=current.values.get("occupation", ""),
                    living_alone=current.resident["living_alone"],
                    disability=current.resident["disability"],
                )  # fmt: skip
                if current.team is not None:
                    services.sign_contract(actor=actor, resident=resident, team=current.team)
                for condition in current.conditions:
                    _record_condition(
                        actor=actor,
                        resident=resident,
                        condition=condition,
                        onset_date=None,
                        note="",
                        source=ProfileSource.IMPORT,
                    )
            audit.record(
                actor=actor,
                action="careloop.residents.imported",
                obj=community,
                detail={"rows": len(rows), "format": report.format},
            )
    except DomainError as exc:
        # Someone registered one of these people meanwhile: nothing of the file is kept.
        number = current.number if current is not None else 0
        for name, messages in (exc.fields or {"": [exc.message]}).items():
            for message in messages:
                report.error(number, checker.header(name) if name else "", message)
        return
    report.committed = True
    report.created = len(rows)
