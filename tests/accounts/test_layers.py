"""Accounts sits below the clinical apps: users, roles and tokens know nothing of them."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

SRC = Path(__file__).resolve().parents[2] / "src" / "opspor"
CLINICAL = ("records", "casework", "referrals", "portal", "demo")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_accounts_imports_no_clinical_app() -> None:
    # Migrations are history and may name the models that once lived here.
    files = [p for p in sorted((SRC / "accounts").rglob("*.py")) if "migrations" not in p.parts]
    assert files
    offending = [
        f"{path.relative_to(SRC)}: {name}"
        for path in files
        for name in sorted(_imported_modules(path))
        if any(name == f"opspor.{app}" or name.startswith(f"opspor.{app}.") for app in CLINICAL)
    ]
    assert offending == []


def test_no_accounts_model_points_at_a_clinical_model() -> None:
    pointing = [
        f"{model.__name__}.{field.name} -> {field.related_model._meta.label}"
        for model in apps.get_app_config("accounts").get_models()
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and field.related_model is not None
        and field.related_model._meta.app_label in CLINICAL
    ]
    assert pointing == []
