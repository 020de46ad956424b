"""The demo sits at the top of the stack: no clinical or pure app imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "opspor"
BELOW_THE_DEMO = ("accounts", "records", "casework", "referrals", "engine", "synth")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("app", BELOW_THE_DEMO)
def test_no_app_below_the_demo_imports_it(app: str) -> None:
    files = sorted((SRC / app).rglob("*.py"))
    assert files
    offending = [
        f"{path.relative_to(SRC)}: {name}"
        for path in files
        for name in sorted(_imports(path))
        if name == "opspor.demo" or name.startswith("opspor.demo.")
    ]
    assert offending == []
