"""The rule modules stay importable without Django (matching and analytics reuse them)."""

import ast
from pathlib import Path

import pytest

import careloop.catalogue

PURE = ("eligibility.py", "frequency.py", "workdays.py")


@pytest.mark.parametrize("name", PURE)
def test_rule_module_imports_no_django(name):
    tree = ast.parse((Path(careloop.catalogue.__file__).parent / name).read_text())
    nodes = list(ast.walk(tree))
    imported = {a.name for n in nodes if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in nodes if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith(("django", "careloop"))}
