"""The overview's extension point: apps above the record add panels without the record
importing them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from opspor.records import overview_panels
from tests import factories

pytestmark = pytest.mark.django_db


def _nothing(*args: Any) -> None:
    return None


def _counted(*args: Any) -> tuple[str, dict[str, Any]]:
    _counted.calls += 1  # type: ignore[attr-defined]
    return ("safetynet/_pending.html", {})


def test_a_panel_registered_twice_is_called_once_and_none_shows_nothing() -> None:
    _counted.calls = 0  # type: ignore[attr-defined]
    overview_panels.register(_counted)
    overview_panels.register(_counted)
    overview_panels.register(_nothing)
    try:
        gp = factories.gp()
        patient = factories.patient(gp.practice)
        client = Client()
        assert gp.user
        client.force_login(gp.user)
        response = client.get(reverse("records:patient_overview", args=[patient.pk]))
        assert response.status_code == 200
        assert _counted.calls == 1  # type: ignore[attr-defined]
        shown = [item.template for item in response.context["panels"]]
        assert shown.count("safetynet/_pending.html") == 1
    finally:
        overview_panels.unregister(_counted)
        overview_panels.unregister(_nothing)
    assert _counted not in overview_panels._PANELS


def _main(*args: Any) -> tuple[str, dict[str, Any]]:
    return ("safetynet/_pending.html", {"main": True})


def _side(*args: Any) -> tuple[str, dict[str, Any]]:
    return ("safetynet/_pending.html", {"side": True})


def test_a_panel_goes_to_its_column_and_one_may_come_first() -> None:
    overview_panels.register(_side)
    overview_panels.register(_main, place="main", first=True)
    try:
        gp = factories.gp()
        patient = factories.patient(gp.practice)
        client = Client()
        assert gp.user
        client.force_login(gp.user)
        response = client.get(reverse("records:patient_overview", args=[patient.pk]))
        shown = [(item.place, item.values) for item in response.context["panels"]]
        assert shown.index(("main", {"main": True})) < shown.index(("side", {"side": True}))
        assert ("side", {"side": True}) in shown
    finally:
        overview_panels.unregister(_side)
        overview_panels.unregister(_main)
    assert _main not in overview_panels._PANELS
    assert _main not in overview_panels._FIRST
