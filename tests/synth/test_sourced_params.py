"""The parameters reproduce the published totals they were calibrated to.

Each test reads the published value from ``params.yaml`` (its ``source`` says where it comes
from) and checks that the band tables the generator draws from give it back, so that editing a
band without re-calibrating fails here rather than silently drifting from the source.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from opspor.synth import load_params
from opspor.synth.params import UNITS, Municipalities, SynthParams
from opspor.synth.rates import Rates, build_rates
from opspor.synth.region import build_region


@pytest.fixture(scope="module")
def params() -> SynthParams:
    return load_params()


@pytest.fixture(scope="module")
def rates(params: SynthParams) -> Rates:
    return build_rates(params)


def test_population_reproduces_the_ageing_index(params: SynthParams, rates: Rates) -> None:
    target = params.population.ageing_index
    assert target is not None
    w = rates.pop_weight
    index = 100.0 * w[:, 65:].sum() / w[:, :15].sum()
    assert index == pytest.approx(target.value, rel=0.01)


def test_living_alone_reproduces_the_65_plus_share(params: SynthParams, rates: Rates) -> None:
    la = params.lives_alone
    assert la.share_65_plus is not None and la.female_to_male_65_plus is not None
    w = rates.pop_weight[:, 65:]
    alone = w * rates.lives_alone_p[:, 65:]
    assert alone.sum() / w.sum() == pytest.approx(la.share_65_plus.value, abs=0.005)
    ratio = alone[0].sum() / alone[1].sum()
    assert ratio == pytest.approx(la.female_to_male_65_plus.value, abs=0.1)


def test_practice_weights_give_each_unit_its_share(params: SynthParams) -> None:
    m = params.municipalities
    assert m.unit_practice_share is not None
    weights = m.practice_weights()
    assert sum(weights) == pytest.approx(1.0)
    for unit in UNITS:
        inside = [(e.weight, w) for e, w in zip(m.entries, weights, strict=True) if e.unit == unit]
        assert sum(w for _, w in inside) == pytest.approx(m.unit_practice_share[unit])
        # Inside a unit, practices follow population.
        pop = sum(p for p, _ in inside)
        for p, w in inside:
            assert w == pytest.approx(m.unit_practice_share[unit] * p / pop)


def test_generated_practices_follow_the_unit_shares(params: SynthParams) -> None:
    n = 3_000
    region = build_region(np.random.default_rng(11), n, params)
    units = region.practices["diagnostic_unit"].to_pylist()
    share = params.municipalities.unit_practice_share
    assert share is not None
    for unit in UNITS:
        expected = share[unit]
        sigma = np.sqrt(expected * (1 - expected) / n)
        assert units.count(unit) / n == pytest.approx(expected, abs=4 * sigma)
    assert "Bornholm" not in set(region.practices["municipality"].to_pylist())


def _municipalities(**changes: Any) -> dict[str, Any]:
    raw = yaml.safe_load(yaml.safe_dump(load_params().municipalities.model_dump()))
    raw.update(changes)
    return dict(raw)


def test_unit_shares_must_name_every_unit_and_sum_to_one() -> None:
    base = _municipalities()
    Municipalities.model_validate(base)
    missing = dict(base["unit_practice_share"])
    missing.pop("nordsjaelland")
    with pytest.raises(ValueError, match="must name"):
        Municipalities.model_validate(_municipalities(unit_practice_share=missing))
    skewed = {k: v * 1.1 for k, v in base["unit_practice_share"].items()}
    with pytest.raises(ValueError, match="must sum to 1"):
        Municipalities.model_validate(_municipalities(unit_practice_share=skewed))


def test_without_unit_shares_the_weights_alone_decide() -> None:
    m = Municipalities.model_validate(_municipalities(unit_practice_share=None))
    total = sum(e.weight for e in m.entries)
    assert m.practice_weights() == pytest.approx([e.weight / total for e in m.entries])
