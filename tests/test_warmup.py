"""What gunicorn's master loads before it forks its workers (opspor.warmup)."""

from __future__ import annotations

from django.template import engines
from django.urls import get_resolver

from opspor.warmup import opspor_templates, warm


def test_warming_up_loads_urls_templates_and_the_engine_without_the_database() -> None:
    # No django_db mark: a query, or a connection opened, would fail this test (and would be
    # shared by every worker forked after it).
    seconds = warm()
    assert seconds >= 0
    assert get_resolver()._populated
    cached = {
        name
        for backend in engines.all()
        for loader in backend.engine.template_loaders  # type: ignore[attr-defined]
        for name in getattr(loader, "get_template_cache", {})
    }
    assert {"base.html", "records/patient_overview.html"} <= cached


def test_the_templates_warmed_are_every_one_of_opspors_own() -> None:
    names = opspor_templates()
    assert "base.html" in names and "accounts/account.html" in names
    assert "registration/login.html" in names and "quality/dashboard.html" in names
    assert len(names) == len(set(names))
