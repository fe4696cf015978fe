"""Chinese personal names ↔ FHIR HumanName: ``text`` is the whole name, ``family`` the
surname (one character, or a compound surname from the table) and ``given`` the rest."""

from __future__ import annotations

import re
from typing import Any

# Compound surnames (复姓) still in use; a two-character prefix found here is the surname.
_COMPOUND = """
    欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 令狐 端木 独孤
    南宫 西门 轩辕 呼延 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 仲孙 钟离 闻人 万俟 赫连
    百里 东郭 拓跋 第五 羊舌 微生 梁丘 左丘 东门 公羊 谷梁 司寇 巫马 公西 漆雕 乐正 壤驷
    公良 段干 亓官 鲜于 闾丘 哥舒 呼衍 申公 南门
"""
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def split_name(name: str) -> tuple[str | None, list[str]]:
    """(family, given) of a Han name; (None, []) for names that are not all Han characters
    (e.g. 买买提·艾力 or Latin names), which are carried in ``text`` only."""
    name = name.strip()
    if len(name) < 2 or not _HAN.match(name):
        return None, []
    surname_length = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:surname_length], [name[surname_length:]]


def human_name(name: str) -> dict[str, Any]:
    family, given = split_name(name)
    human: dict[str, Any] = {"use": "official", "text": name}
    if family:
        human["family"] = family
        human["given"] = given
    return human


def full_name(human: Any) -> str:
    """The whole name from a HumanName: ``text``, else family + given (no space between Han
    parts, Western order with spaces otherwise)."""
    text = (getattr(human, "text", None) or "").strip()
    if text:
        return text
    family = (getattr(human, "family", None) or "").strip()
    given = [part.strip() for part in (getattr(human, "given", None) or []) if part.strip()]
    if _HAN.match(family + "".join(given) or "x"):
        return family + "".join(given)
    return " ".join([*given, family]).strip()
