"""The stack of apps holds: every import goes down it (README, "Architecture").

The check itself is tested on a small made-up tree first, so a broken checker cannot pass
the real tree silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps

from tests.layers import LAYERS, owner, violations

SRC = Path(__file__).resolve().parents[1] / "src" / "opspor"


def _tree(root: Path, files: dict[str, str]) -> Path:
    package = root / "opspor"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(package).parents:
            (package / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return package


def test_the_check_finds_a_lower_layer_importing_a_higher_one(tmp_path: Path) -> None:
    package = _tree(
        tmp_path,
        {
            "accounts/models.py": "from opspor.records.models import Patient\n",
            "records/views.py": (
                "def page():\n    from opspor.referrals import services  # lazy, still counts\n"
            ),
            "records/selectors.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from opspor.casework.models import Notification\n"
            ),
            "casework/runner.py": "from ..referrals.models import Referral\n",
            "engine/assess.py": "import django.db\n",
            "referrals/models.py": "from opspor.records.models import Patient\n",
            "mystery.py": "",
        },
    )
    found = {(v.module, v.imported) for v in violations(package)}
    assert found == {
        ("opspor.accounts.models", "opspor.records.models"),
        ("opspor.records.views", "opspor.referrals"),
        ("opspor.records.selectors", "opspor.casework.models"),
        ("opspor.casework.runner", "opspor.referrals.models"),
        ("opspor.engine.assess", "django.db"),
        ("opspor.mystery", "-"),
    }
    # Going down the stack is what it is for: referrals on records raised nothing.
    assert not any(v.module == "opspor.referrals.models" for v in violations(package))


def test_the_check_finds_two_apps_of_one_layer_leaning_on_each_other(tmp_path: Path) -> None:
    package = _tree(tmp_path, {"portal/views.py": "", "demo/cases.py": ""})
    assert violations(package) == []
    (package / "portal" / "views.py").write_text("from opspor.demo import cases\n")
    [found] = violations(package)
    assert "layer 'portal' may not import from layer 'demo'" in str(found)


def test_every_import_in_the_source_goes_down_the_stack() -> None:
    found = violations(SRC)
    assert [str(v) for v in found] == []


def test_every_app_has_a_place_in_the_stack() -> None:
    placed = [app for app in apps.get_app_configs() if app.name.startswith("opspor.")]
    assert placed
    assert [app.name for app in placed if owner(app.name) is None] == []


@pytest.mark.parametrize(
    "app_config", [a for a in apps.get_app_configs() if a.name.startswith("opspor.")], ids=str
)
def test_no_model_points_up_the_stack(app_config: object) -> None:
    # A foreign key is a dependency the imports do not show ("records.Patient" is a string).
    mine = owner(app_config.name)  # type: ignore[attr-defined]
    assert mine is not None
    pointing = []
    for model in app_config.get_models():  # type: ignore[attr-defined]
        for field in model._meta.get_fields():
            related = field.related_model
            if (
                related is None
                or not field.concrete
                or not related.__module__.startswith("opspor.")
            ):
                continue
            theirs = owner(related.__module__)
            if theirs is not None and theirs[0] > mine[0]:
                pointing.append(f"{model.__name__}.{field.name} -> {related._meta.label}")
    assert pointing == []


def test_the_layers_are_the_readmes() -> None:
    readme = (SRC.parents[1] / "README.md").read_text(encoding="utf-8")
    for layer, names in LAYERS:
        for name in names:
            if name != "opspor" and "." in name:
                assert name.removeprefix("opspor.").replace(".", "/") in readme, (layer, name)
