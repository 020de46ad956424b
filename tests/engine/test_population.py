from __future__ import annotations

from pathlib import Path

import yaml

from opspor.engine.population import contacts_per_year
from opspor.synth import load_params

ENGINE_TABLE = Path(__file__).resolve().parents[2] / "src" / "opspor" / "engine" / "population.yaml"


def test_prior_table_is_the_one_the_synthetic_region_uses() -> None:
    engine = yaml.safe_load(ENGINE_TABLE.read_text())
    contacts = load_params().contacts
    assert [list(band) for band in contacts.rate_age_bands] == engine["age_bands"]
    assert dict(contacts.per_person_year) == engine["per_person_year"]


def test_rate_by_age_band_and_sex() -> None:
    assert contacts_per_year(40, "female") == 8.4
    assert contacts_per_year(74, "male") == 7.5
    assert contacts_per_year(75, "male") == 10.0
    assert contacts_per_year(119, "female") == 10.0
