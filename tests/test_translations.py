"""zh-hans is the default language: every string must be translated, and the compiled
catalogue must match its source. CI fails on an untranslated or stale string."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

import careloop

PACKAGE = Path(careloop.__file__).parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """The catalogue as makemessages would write it from the current source."""
    root = tmp_path_factory.mktemp("i18n")
    copy = root / "careloop"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=copy,
        env={"PYTHONPATH": str(root), "DJANGO_SETTINGS_MODULE": "careloop.settings",
             "CARELOOP_DATA_DIR": str(root / "var"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_source_string_is_translated(extracted):
    missing = [e.msgid for e in extracted if not e.obsolete and not e.translated()]
    assert missing == [], f"untranslated zh-hans strings (run `make messages`): {missing}"


def test_no_fuzzy_translations():
    fuzzy = [e.msgid for e in polib.pofile(str(PO)) if "fuzzy" in e.flags]
    assert fuzzy == []


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(PO)):
        if entry.msgstr:
            assert set(PLACEHOLDER.findall(entry.msgid)) == set(
                PLACEHOLDER.findall(entry.msgstr)
            ), entry.msgid


def test_compiled_catalogue_is_up_to_date():
    source = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(PO)) if e.translated()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(MO)) if e.msgid}
    assert compiled == source, "run `make messages` to recompile django.mo"
