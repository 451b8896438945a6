"""The modules depend on each other one way: widget → transcriber → parts → the rest, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

import live_transcriber

PACKAGE = Path(live_transcriber.__file__).parent


def imported(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, as dotted names under the package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            folder = path.relative_to(PACKAGE).parent.parts
            module = [*folder[: len(folder) - node.level + 1], *([node.module] if node.module else [])]
            names |= {".".join(module)} if module else set()
            names |= {".".join([*module, alias.name]) for alias in node.names}
    return names


def test_the_parts_never_import_the_transcriber_or_the_widget():
    for path in sorted((PACKAGE / "parts").glob("*.py")):
        assert not imported(path) & {"transcriber", "widget"}, f"{path.name} imports {sorted(imported(path) & {'transcriber', 'widget'})}"


def test_the_transcriber_never_imports_the_widget():
    assert "widget" not in imported(PACKAGE / "transcriber.py")
