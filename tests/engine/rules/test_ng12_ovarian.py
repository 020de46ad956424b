"""NICE NG12 1.5.1-1.5.9 (ovarian cancer, women aged 16 and over: young people and adults),
matched and not matched as worded in the guideline last updated 1 May 2025."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rules_with_number

EXAMINATION = "ng12-1.5.1-ovarian-examination"
PERSISTENT = "ng12-1.5.2-ca125-persistent-symptoms"
CONSIDER = "ng12-1.5.3-ca125-weight-loss-fatigue-bowel"
IBS = "ng12-1.5.5-ca125-ibs-symptoms-50"
ULTRASOUND = "ng12-1.5.7-ca125-raised-ultrasound"
REFER = "ng12-1.5.8-ultrasound-suggests-ovarian-cancer"
NORMAL_CA125 = "ng12-1.5.9-normal-ca125-safety-net"
RETURN = "ng12-1.5.4-return-if-symptoms-persist"

SYMPTOMS_1_5_2 = [
    "abdominal_distension",
    "early_satiety",
    "appetite_loss",
    "pelvic_pain",
    "abdominal_pain",
    "upper_abdominal_pain",
    "urinary_urgency",
    "urinary_frequency",
]


def test_every_ovarian_recommendation_with_an_action_is_encoded() -> None:
    # 1.5.6 (measure CA125) is the investigation named by 1.5.2, 1.5.3 and 1.5.5.
    for number in ("1.5.1", "1.5.2", "1.5.3", "1.5.4", "1.5.5", "1.5.7", "1.5.8", "1.5.9"):
        assert rules_with_number(number), number
    for number in ("1.5.2", "1.5.3", "1.5.5"):
        assert rules_with_number(number)[0].investigation == "ca125"


# --- 1.5.1 ascites or a pelvic or abdominal mass --------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"findings": ["ascites"]}, {"findings": ["pelvic_mass"]}, {"symptoms": ["abdominal_mass"]}],
    ids=["ascites", "pelvic-mass", "abdominal-mass"],
)
def test_1_5_1_examination_finding_in_a_woman_of_16(kwargs: dict[str, Any]) -> None:
    assert matches(EXAMINATION, ctx(age=16, **kwargs))
    assert matches(EXAMINATION, ctx(age=15, **kwargs)) is None
    assert matches(EXAMINATION, ctx(age=60, sex="male", **kwargs)) is None


def test_1_5_1_abdominal_mass_explained_as_fibroids_does_not_match() -> None:
    fibroids = {"code": "abdominal_mass", "unexplained": False}
    assert matches(EXAMINATION, ctx(age=45, symptoms=[fibroids])) is None


# --- 1.5.2 persistent or frequent symptoms ------------------------------------------------


@pytest.mark.parametrize("code", SYMPTOMS_1_5_2)
@pytest.mark.parametrize("course", ["persistent", "recurrent"])
def test_1_5_2_each_symptom_when_persistent_or_frequent(code: str, course: str) -> None:
    symptom = {"code": code, "unexplained": False, course: True}
    assert matches(PERSISTENT, ctx(age=50, symptoms=[symptom]))
    # "Especially if aged 50 or over" is emphasis, not a threshold.
    assert matches(PERSISTENT, ctx(age=49, symptoms=[symptom]))
    assert matches(PERSISTENT, ctx(age=16, symptoms=[symptom]))
    assert matches(PERSISTENT, ctx(age=15, symptoms=[symptom])) is None
    assert matches(PERSISTENT, ctx(age=50, sex="male", symptoms=[symptom])) is None


@pytest.mark.parametrize("code", SYMPTOMS_1_5_2)
def test_1_5_2_a_single_episode_is_not_enough(code: str) -> None:
    assert matches(PERSISTENT, ctx(age=55, symptoms=[code])) is None


def test_1_5_2_other_persistent_symptoms_do_not_count() -> None:
    symptom = {"code": "dysuria", "persistent": True}
    assert matches(PERSISTENT, ctx(age=55, symptoms=[symptom])) is None


# --- 1.5.3 unexplained weight loss, fatigue or bowel change ---------------------------------


@pytest.mark.parametrize("code", ["weight_loss", "fatigue", "change_in_bowel_habit"])
def test_1_5_3_consider_ca125(code: str) -> None:
    assert matches(CONSIDER, ctx(age=16, symptoms=[code]))
    assert matches(CONSIDER, ctx(age=15, symptoms=[code])) is None
    assert matches(CONSIDER, ctx(age=40, symptoms=[{"code": code, "unexplained": False}])) is None
    assert matches(CONSIDER, ctx(age=40, sex="male", symptoms=[code])) is None


# --- 1.5.5 IBS-like symptoms at 50 and over -------------------------------------------------


def test_1_5_5_ibs_like_symptoms_at_50_not_49() -> None:
    assert matches(IBS, ctx(age=50, symptoms=["irritable_bowel_symptoms"]))
    assert matches(IBS, ctx(age=49, symptoms=["irritable_bowel_symptoms"])) is None
    last_day_of_49 = ctx(age=49, last_day_of_age=True, symptoms=["irritable_bowel_symptoms"])
    assert matches(IBS, last_day_of_49) is None


def test_1_5_5_only_symptoms_within_the_last_12_months() -> None:
    recent = {"code": "irritable_bowel_symptoms", "days_ago": 365}
    old = {"code": "irritable_bowel_symptoms", "days_ago": 366}
    assert matches(IBS, ctx(age=60, symptoms=[recent]))
    assert matches(IBS, ctx(age=60, symptoms=[old])) is None


# --- 1.5.7 / 1.5.8 / 1.5.9 CA125 and ultrasound --------------------------------------------


def test_1_5_7_ca125_of_35_or_more_leads_to_ultrasound() -> None:
    assert matches(ULTRASOUND, ctx(age=55, labs=[("ca125", 35)]))
    assert matches(ULTRASOUND, ctx(age=55, labs=[("ca125", 34.9)])) is None
    assert matches(ULTRASOUND, ctx(age=55, sex="male", labs=[("ca125", 80)])) is None
    assert matches(ULTRASOUND, ctx(age=15, labs=[("ca125", 80)])) is None


def test_1_5_7_uses_the_newest_ca125() -> None:
    labs = [("ca125", 60, 60), ("ca125", 20, 5)]
    assert matches(ULTRASOUND, ctx(age=55, labs=labs)) is None


def test_1_5_8_ultrasound_suggesting_ovarian_cancer_is_referred() -> None:
    assert matches(REFER, ctx(age=45, findings=["ultrasound_suggests_ovarian_cancer"]))
    assert matches(REFER, ctx(age=45, findings=["pelvic_mass"])) is None


def test_1_5_9_normal_ca125_gets_a_safety_net_not_silence() -> None:
    assert matches(NORMAL_CA125, ctx(age=55, labs=[("ca125", 34.9)]))
    assert matches(NORMAL_CA125, ctx(age=55, labs=[("ca125", 35)])) is None
    assert matches(NORMAL_CA125, ctx(age=55)) is None


def test_1_5_9_explanation_never_says_it_is_not_cancer() -> None:
    (rule,) = rules_with_number("1.5.9")
    assert "does not rule out" in rule.explanation.en
    assert "udelukker ikke" in rule.explanation.da


# --- 1.5.4 return if symptoms become more frequent or persistent ---------------------------


def test_1_5_4_safety_net_until_a_symptom_is_persistent() -> None:
    assert matches(RETURN, ctx(age=40, symptoms=["abdominal_distension"]))
    persistent = {"code": "abdominal_distension", "persistent": True}
    both = ctx(age=40, symptoms=["pelvic_pain", persistent])
    assert matches(RETURN, both) is None
    assert matches(PERSISTENT, both)
    assert matches(RETURN, ctx(age=40, sex="male", symptoms=["abdominal_distension"])) is None


# --- property: more symptoms never remove a match -----------------------------------------

# 1.5.4 is left out on purpose: it is the safety net for women whose symptoms are not yet
# persistent, and it gives way to 1.5.2 when one becomes persistent.
_MONOTONE = [
    r.id for r in load_ruleset("nice-ng12").rules if r.cancer_site == "ovarian" and r.id != RETURN
]
_SYMPTOM = st.fixed_dictionaries(
    {
        "code": st.sampled_from(
            [*SYMPTOMS_1_5_2, "weight_loss", "fatigue", "abdominal_mass", "dysuria"]
        ),
        "unexplained": st.booleans(),
        "persistent": st.booleans(),
        "recurrent": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(min_value=16, max_value=95),
    base=st.lists(_SYMPTOM, max_size=4),
    extra=_SYMPTOM,
)
def test_an_extra_symptom_never_removes_a_match(
    age: int, base: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    for rule_id in _MONOTONE:
        if matches(rule_id, ctx(age=age, symptoms=base)) is not None:
            assert matches(rule_id, ctx(age=age, symptoms=[*base, extra])) is not None, rule_id
