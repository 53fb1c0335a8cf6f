"""The pure core (predictions/core/) imports no web framework, database library or numpy: only
the standard library, markupsafe where it renders markup, and other modules of the core."""

import ast
import sys
from pathlib import Path

import pytest

import predictions.core

CORE = Path(predictions.core.__file__).parent
CORE_MODULES = sorted(path.stem for path in CORE.glob("*.py") if path.stem != "__init__")
# The only third-party packages the core may import, and why: pure functions of text, no I/O.
ALLOWED_THIRD_PARTY = {
    "markupsafe",  # builds escaped markup
    "slugify",  # slugs and scenario keys from titles and labels in any script
    "itsdangerous",  # signs and checks the embed tokens: text and a key in, text out
}


def imports_of(name: str) -> tuple[set[str], set[str]]:
    """(top-level packages imported absolutely, core modules imported relatively)."""
    tree = ast.parse((CORE / f"{name}.py").read_text(encoding="utf-8"))
    absolute, relative = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            assert node.level == 1 and node.module, f"{name}: only modules of the core"
            relative.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            absolute.add(node.module.split(".")[0])
    return absolute, relative


@pytest.mark.parametrize("name", CORE_MODULES)
def test_core_module_imports_only_the_standard_library_and_the_core(name):
    absolute, relative = imports_of(name)
    allowed = set(sys.stdlib_module_names) | {"__future__"} | ALLOWED_THIRD_PARTY
    assert absolute <= allowed, absolute - allowed
    assert relative <= set(CORE_MODULES), relative - set(CORE_MODULES)
    tree = ast.parse((CORE / f"{name}.py").read_text(encoding="utf-8"))
    dynamic = {"__import__", "exec", "eval", "importlib"}
    assert not {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & dynamic


def test_the_check_sees_every_core_module_and_its_imports():
    assert {"aggregation", "scoring", "comment_rules", "charts", "pseudonyms"} <= set(CORE_MODULES)
    absolute, relative = imports_of("question_file")
    assert {"re", "tomllib"} <= absolute and relative == {"validation"}
    assert "markupsafe" in imports_of("charts")[0]
