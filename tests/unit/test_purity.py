"""The pure core imports no web framework, database library or numpy: only the standard
library, markupsafe where it renders markup, and other pure modules of the package."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

# Module of the package -> third-party packages it may import.
PURE_MODULES = {
    "aggregation": set(),
    "scoring": set(),
    "moderation_rules": set(),
    "decisions": set(),
    "csv_export": set(),
    "validation": set(),
    "privacy": set(),
    "question_file": set(),
    "rendering": {"markupsafe"},
    "charts": {"markupsafe"},
}


def imports_of(name: str) -> tuple[set[str], set[str]]:
    """(top-level packages imported absolutely, sibling modules imported relatively)."""
    module = importlib.import_module(f"predictions.{name}")
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    absolute, relative = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            assert node.level == 1 and node.module, f"{name}: only sibling modules"
            relative.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            absolute.add(node.module.split(".")[0])
    return absolute, relative


@pytest.mark.parametrize("name", sorted(PURE_MODULES))
def test_pure_module_imports_only_the_standard_library_and_pure_siblings(name):
    absolute, relative = imports_of(name)
    allowed = set(sys.stdlib_module_names) | {"__future__"} | PURE_MODULES[name]
    assert absolute <= allowed, absolute - allowed
    assert relative <= set(PURE_MODULES), relative - set(PURE_MODULES)
    tree = ast.parse(Path(importlib.import_module(f"predictions.{name}").__file__).read_text())
    dynamic = {"__import__", "exec", "eval", "importlib"}
    assert not {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & dynamic


def test_the_check_sees_imports():
    absolute, relative = imports_of("question_file")
    assert {"re", "tomllib"} <= absolute and relative == {"validation"}
    assert "markupsafe" in imports_of("charts")[0]
