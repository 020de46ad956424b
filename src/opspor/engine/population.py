"""The population contact rate by age and sex, the pattern-break signal's prior."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

_FILE = Path(__file__).resolve().parent / "population.yaml"


@functools.cache
def rate_table() -> tuple[tuple[tuple[int, int], ...], dict[str, tuple[float, ...]]]:
    """The age bands and, by sex, the contacts per person-year of each band."""
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    bands = tuple((int(lo), int(hi)) for lo, hi in data["age_bands"])
    rates = {
        sex: tuple(float(v) for v in values) for sex, values in data["per_person_year"].items()
    }
    for sex, values in rates.items():
        if len(values) != len(bands):
            raise ValueError(f"population.yaml: per_person_year.{sex} does not match age_bands")
    return bands, rates


def contacts_per_year(age: int, sex: str) -> float:
    bands, rates = rate_table()
    for (lo, hi), rate in zip(bands, rates[sex], strict=True):
        if lo <= age <= hi:
            return rate
    return rates[sex][-1]
