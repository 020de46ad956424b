"""NG12 1.1 lung and pleural cancers, tested line by line against the guideline's wording
(NG12, last updated 1 May 2025): each recommendation matches where it says and not one year,
one symptom or one risk factor short of it."""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import ctx, matches, rule

SIX = ["cough", "fatigue", "shortness_of_breath", "chest_pain", "weight_loss", "appetite_loss"]


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "investigation", "within_days", "number", "site"),
    [
        ("ng12-1.1.1-chest-xray", "suspected_cancer_referral", None, 28, "1.1.1", "lung"),
        ("ng12-1.1.1-haemoptysis", "suspected_cancer_referral", None, 28, "1.1.1", "lung"),
        ("ng12-1.1.2-chest-xray", "urgent_investigation", "chest_xray", 14, "1.1.2", "lung"),
        ("ng12-1.1.3-chest-xray", "urgent_investigation", "chest_xray", 14, "1.1.3", "lung"),
        ("ng12-1.1.4-chest-xray", "suspected_cancer_referral", None, 28, "1.1.4", "mesothelioma"),
        (
            "ng12-1.1.5-chest-xray",
            "urgent_investigation",
            "chest_xray",
            14,
            "1.1.5",
            "mesothelioma",
        ),
        (
            "ng12-1.1.6-chest-xray",
            "urgent_investigation",
            "chest_xray",
            14,
            "1.1.6",
            "mesothelioma",
        ),
    ],
)
def test_each_rule_carries_the_recommendation_type_and_number(
    rule_id: str,
    recommendation: str,
    investigation: str | None,
    within_days: int,
    number: str,
    site: str,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.investigation, r.within_days) == (
        recommendation,
        investigation,
        within_days,
    )
    assert r.recommendation_number == number
    assert r.cancer_site == site


# -- 1.1.1 ----------------------------------------------------------------------------------


def test_1_1_1_chest_xray_suggesting_lung_cancer_refers_at_any_age() -> None:
    assert matches(
        "ng12-1.1.1-chest-xray", ctx(age=25, findings=["chest_xray_suggests_lung_cancer"])
    )


def test_1_1_1_chest_xray_suggesting_mesothelioma_is_not_lung_branch() -> None:
    assert (
        matches("ng12-1.1.1-chest-xray", ctx(findings=["chest_xray_suggests_mesothelioma"])) is None
    )


def test_1_1_1_unexplained_haemoptysis_at_40_refers() -> None:
    evidence = matches("ng12-1.1.1-haemoptysis", ctx(age=40, symptoms=["haemoptysis"]))
    assert evidence is not None
    assert {"input": "age", "value": 40} in evidence
    assert any(e.get("code") == "haemoptysis" for e in evidence)


def test_1_1_1_haemoptysis_the_day_before_the_40th_birthday_does_not() -> None:
    context = ctx(age=39, last_day_of_age=True, symptoms=["haemoptysis"])
    assert matches("ng12-1.1.1-haemoptysis", context) is None


def test_1_1_1_explained_haemoptysis_does_not_refer() -> None:
    context = ctx(age=60, symptoms=[{"code": "haemoptysis", "unexplained": False}])
    assert matches("ng12-1.1.1-haemoptysis", context) is None


# -- 1.1.2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", [(SIX[i], SIX[j]) for i in range(6) for j in range(i + 1, 6)])
def test_1_1_2_any_two_of_the_six_unexplained_symptoms_at_40_in_a_never_smoker(
    pair: tuple[str, str],
) -> None:
    assert matches("ng12-1.1.2-chest-xray", ctx(age=40, smoking="never", symptoms=list(pair)))


@pytest.mark.parametrize("symptom", SIX)
def test_1_1_2_one_symptom_is_enough_for_someone_who_has_ever_smoked(symptom: str) -> None:
    for smoking in ("current", "former"):
        assert matches("ng12-1.1.2-chest-xray", ctx(age=40, smoking=smoking, symptoms=[symptom]))


@pytest.mark.parametrize("smoking", ["never", "unknown"])
def test_1_1_2_one_symptom_is_not_enough_without_a_smoking_history(smoking: str) -> None:
    assert (
        matches("ng12-1.1.2-chest-xray", ctx(age=55, smoking=smoking, symptoms=["cough"])) is None
    )


def test_1_1_2_two_symptoms_at_39_do_not_match() -> None:
    context = ctx(age=39, smoking="current", symptoms=["cough", "fatigue"])
    assert matches("ng12-1.1.2-chest-xray", context) is None


def test_1_1_2_explained_symptoms_do_not_count() -> None:
    context = ctx(
        age=60,
        smoking="never",
        symptoms=["cough", {"code": "fatigue", "unexplained": False}],
    )
    assert matches("ng12-1.1.2-chest-xray", context) is None


def test_1_1_2_a_symptom_outside_the_list_does_not_count() -> None:
    context = ctx(age=60, smoking="never", symptoms=["cough", "hoarseness"])
    assert matches("ng12-1.1.2-chest-xray", context) is None


# -- 1.1.3 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "presentation",
    [
        {"symptoms": [{"code": "chest_infection", "persistent": True}]},
        {"symptoms": [{"code": "chest_infection", "recurrent": True}]},
        {"symptoms": ["finger_clubbing"]},
        {"symptoms": ["supraclavicular_lymphadenopathy"]},
        {"symptoms": [{"code": "cervical_lymphadenopathy", "persistent": True}]},
        {"symptoms": ["chest_signs_of_lung_cancer"]},
        {"labs": [("platelets", 450)]},
    ],
)
def test_1_1_3_each_sign_at_40_considers_a_chest_xray(
    presentation: dict[str, list[object]],
) -> None:
    assert matches("ng12-1.1.3-chest-xray", ctx(age=40, **presentation))  # type: ignore[arg-type]
    assert matches("ng12-1.1.3-chest-xray", ctx(age=39, **presentation)) is None  # type: ignore[arg-type]


def test_1_1_3_a_single_chest_infection_is_neither_persistent_nor_recurrent() -> None:
    assert matches("ng12-1.1.3-chest-xray", ctx(age=60, symptoms=["chest_infection"])) is None


def test_1_1_3_cervical_lymphadenopathy_must_be_persistent() -> None:
    assert (
        matches("ng12-1.1.3-chest-xray", ctx(age=60, symptoms=["cervical_lymphadenopathy"])) is None
    )


def test_1_1_3_a_normal_platelet_count_is_not_thrombocytosis() -> None:
    assert matches("ng12-1.1.3-chest-xray", ctx(age=60, labs=[("platelets", 300)])) is None


def test_1_1_3_does_not_require_unexplained() -> None:
    # NG12 says "any of the following" without "unexplained" for these signs.
    context = ctx(age=60, symptoms=[{"code": "finger_clubbing", "unexplained": False}])
    assert matches("ng12-1.1.3-chest-xray", context)


# -- 1.1.4 ----------------------------------------------------------------------------------


def test_1_1_4_chest_xray_suggesting_mesothelioma_refers() -> None:
    assert matches(
        "ng12-1.1.4-chest-xray", ctx(age=30, findings=["chest_xray_suggests_mesothelioma"])
    )


def test_1_1_4_chest_xray_suggesting_lung_cancer_is_not_mesothelioma() -> None:
    assert (
        matches("ng12-1.1.4-chest-xray", ctx(findings=["chest_xray_suggests_lung_cancer"])) is None
    )


# -- 1.1.5 ----------------------------------------------------------------------------------


def test_1_1_5_two_unexplained_symptoms_at_40() -> None:
    context = ctx(age=40, smoking="never", symptoms=["chest_pain", "shortness_of_breath"])
    assert matches("ng12-1.1.5-chest-xray", context)


def test_1_1_5_one_symptom_and_ever_smoked() -> None:
    assert matches("ng12-1.1.5-chest-xray", ctx(age=40, smoking="former", symptoms=["chest_pain"]))


def test_1_1_5_one_symptom_and_asbestos_in_a_never_smoker() -> None:
    context = ctx(age=40, smoking="never", symptoms=["chest_pain"], exposures=["asbestos"])
    evidence = matches("ng12-1.1.5-chest-xray", context)
    assert evidence is not None
    assert {"input": "occupational_exposure", "code": "asbestos"} in evidence


def test_1_1_5_one_symptom_with_another_exposure_is_not_enough() -> None:
    context = ctx(age=50, smoking="never", symptoms=["cough"], exposures=["firefighting_smoke"])
    assert matches("ng12-1.1.5-chest-xray", context) is None


def test_1_1_5_one_symptom_never_smoked_no_asbestos_does_not_match() -> None:
    assert (
        matches("ng12-1.1.5-chest-xray", ctx(age=50, smoking="never", symptoms=["cough"])) is None
    )


def test_1_1_5_asbestos_at_39_does_not_match() -> None:
    context = ctx(
        age=39, last_day_of_age=True, symptoms=["cough", "fatigue"], exposures=["asbestos"]
    )
    assert matches("ng12-1.1.5-chest-xray", context) is None


def test_1_1_5_explained_symptom_does_not_count_even_after_asbestos() -> None:
    context = ctx(
        age=60,
        symptoms=[{"code": "cough", "unexplained": False}],
        exposures=["asbestos"],
    )
    assert matches("ng12-1.1.5-chest-xray", context) is None


# -- 1.1.6 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", ["finger_clubbing", "chest_signs_of_pleural_disease"])
def test_1_1_6_clubbing_or_pleural_signs_at_40(sign: str) -> None:
    assert matches("ng12-1.1.6-chest-xray", ctx(age=40, symptoms=[sign]))
    assert matches("ng12-1.1.6-chest-xray", ctx(age=39, symptoms=[sign])) is None


def test_1_1_6_chest_signs_of_lung_cancer_are_not_pleural_signs() -> None:
    assert (
        matches("ng12-1.1.6-chest-xray", ctx(age=60, symptoms=["chest_signs_of_lung_cancer"]))
        is None
    )
