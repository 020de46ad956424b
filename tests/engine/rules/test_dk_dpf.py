"""The Danish diagnostic pathway (DPF) entry rule, written from the 2022 entry criteria as
Region Midtjylland's page for general practice gives them: adults, the GP's sense of serious
illness (clinical judgement), supported by one or more findings with no other obvious cause."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
DPF = "dk-dpf-2022-uspecifikke-symptomer"

PAIN = [
    "widespread_pain",
    "bone_pain",
    "back_pain",
    "chest_pain",
    "shoulder_pain",
    "abdominal_pain",
    "upper_abdominal_pain",
    "pelvic_pain",
]
SYMPTOMS = ["malaise", "fatigue", "weight_loss", "fever", *PAIN]


def dpf(context: dict[str, Any], **signals: bool) -> list[dict[str, object]] | None:
    return matches(DPF, context, ruleset=RULESET, signals=signals or None)


def test_rule_says_what_it_recommends_and_where_from() -> None:
    r = rule(DPF, RULESET)
    assert r.recommendation == "consider_referral"
    assert r.investigation == "diagnostic_pathway_tests"
    assert "Diagnostisk pakkeforløb 2022" in r.recommendation_number


def test_the_gps_sense_of_serious_illness_is_left_to_judgement() -> None:
    judgement = rule(DPF, RULESET).clinical_judgement
    assert judgement is not None
    assert "fornemmelse" in judgement.da and "alvorligt syg" in judgement.da
    assert "sense" in judgement.en and "seriously ill" in judgement.en
    # The source gives no time limit for "very long-standing" symptoms; the text says so.
    assert "ingen tidsgrænse" in judgement.da and "no time limit" in judgement.en
    # The medication-rise signal is explained in words.
    assert "antibiotika" in judgement.da and "antibiotics" in judgement.en


@pytest.mark.parametrize("code", SYMPTOMS)
def test_each_supporting_symptom_alone_matches_an_adult(code: str) -> None:
    evidence = dpf(ctx(age=18, symptoms=[code]))
    assert evidence is not None
    assert any(e.get("input") == "symptom" and e.get("code") == code for e in evidence)


def test_anaemia_from_a_low_haemoglobin_matches() -> None:
    evidence = dpf(ctx(age=60, sex="female", labs=[("haemoglobin", 6.0)]))
    assert evidence is not None
    assert any(item.get("code") == "anaemia" for item in evidence)


def test_a_normal_haemoglobin_is_not_anaemia() -> None:
    assert dpf(ctx(age=60, sex="female", labs=[("haemoglobin", 8.5)])) is None


def test_an_old_low_haemoglobin_does_not_count() -> None:
    assert dpf(ctx(age=60, sex="female", labs=[("haemoglobin", 6.0, 91)])) is None


def test_a_marked_rise_in_contacts_alone_matches() -> None:
    evidence = dpf(ctx(age=40), pattern_break=True)
    assert evidence == [{"input": "age", "value": 40}, {"input": "signal", "name": "pattern_break"}]


def test_a_marked_rise_in_medicine_use_alone_matches() -> None:
    evidence = dpf(ctx(age=40), medication_rise=True)
    assert evidence is not None
    assert {"input": "signal", "name": "medication_rise"} in evidence


def test_signals_that_are_off_do_not_match() -> None:
    assert dpf(ctx(age=40), pattern_break=False, medication_rise=False) is None


def test_age_18_matches_and_17_does_not() -> None:
    assert dpf(ctx(age=18, symptoms=["malaise"])) is not None
    assert dpf(ctx(age=17, last_day_of_age=True, symptoms=["malaise"])) is None
    assert dpf(ctx(age=17, last_day_of_age=True), pattern_break=True) is None


def test_no_supporting_finding_no_match() -> None:
    assert dpf(ctx(age=70)) is None
    # A symptom outside the list (cough) does not support DPF entry.
    assert dpf(ctx(age=70, symptoms=["cough"])) is None


@pytest.mark.parametrize("code", SYMPTOMS)
def test_a_symptom_with_another_obvious_explanation_does_not_match(code: str) -> None:
    assert dpf(ctx(age=50, symptoms=[{"code": code, "unexplained": False}])) is None


def test_no_invented_time_limit_on_long_standing_symptoms() -> None:
    # "Very long-standing" symptoms rarely qualify, but the source gives no limit; the rule
    # leaves that to the doctor rather than inventing one.
    assert dpf(ctx(age=50, symptoms=[{"code": "fatigue", "days_ago": 3650}])) is not None


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(st.sampled_from([*SYMPTOMS, "cough", "haemoptysis"]), unique=True),
    extra=st.sampled_from([*SYMPTOMS, "cough", "dysuria"]),
    age=st.integers(min_value=18, max_value=100),
)
def test_an_extra_symptom_never_removes_a_match(base: list[str], extra: str, age: int) -> None:
    before = dpf(ctx(age=age, symptoms=base)) is not None
    after = dpf(ctx(age=age, symptoms=[*base, extra])) is not None
    assert after or not before
