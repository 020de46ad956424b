"""`make demo` links its e-mails to the port it serves on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_recipe(*arguments: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def base_url_of(recipe: str, environment: dict[str, str]) -> str:
    """Run the recipe's line that sets OPSPOR_BASE_URL, as the demo's shell would."""
    [line] = re.findall(r"export OPSPOR_BASE_URL=[^;]*;", recipe)
    done = subprocess.run(
        ["bash", "-c", f'{line} echo "$OPSPOR_BASE_URL"'],
        env={"PATH": "/usr/bin:/bin"} | environment,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout.strip()


def test_the_demo_passes_its_port_to_the_server_and_the_worker() -> None:
    recipe = demo_recipe("PORT=8765")
    assert "runserver 127.0.0.1:8765" in recipe
    assert base_url_of(recipe, {}) == "http://127.0.0.1:8765"
    # Set before the worker and the server start, so both have it.
    assert recipe.index("export OPSPOR_BASE_URL") < recipe.index("opspor worker")
    assert base_url_of(demo_recipe(), {}) == "http://127.0.0.1:8000"


def test_an_address_the_user_set_is_kept() -> None:
    recipe = demo_recipe("PORT=8765")
    chosen = {"OPSPOR_BASE_URL": "https://opspor.example"}
    assert base_url_of(recipe, chosen) == "https://opspor.example"
