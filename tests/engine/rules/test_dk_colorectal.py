"""The colorectal cancer pathway's entry from general practice, as Region Nordjylland's guide
for general practice states it (patients aged 40 and over with bowel symptoms in whom colorectal
cancer is suspected). Each encoded symptom group matches and fails to match as its wording says."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
BLEEDING = "dk-pkf-tarm-bloedning-per-rectum-40"
BOWEL_HABIT = "dk-pkf-tarm-aendret-afforing-over-4-uger-40"
ANAEMIA = "dk-pkf-tarm-bloedningsanaemi-40"
RULES = (BLEEDING, BOWEL_HABIT, ANAEMIA)


def colorectal(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


@pytest.mark.parametrize("rule_id", RULES)
def test_each_rule_cites_the_regional_guide_and_the_pathway(rule_id: str) -> None:
    r = rule(rule_id, RULESET)
    assert r.cancer_site == "colorectal"
    assert r.recommendation == "suspected_cancer_referral"
    assert r.strength == "offer"
    # The guide gives no time frame, and the examinations it names are the hospital's.
    assert r.within_days is None and r.investigation is None
    assert r.source_url == "https://pri.rn.dk/Sider/13499.aspx"
    number = r.recommendation_number
    assert "Pakkeforløb for kræft i tyk- og endetarm" in number
    assert "Region Nordjylland" in number and "≥ 40 år" in number
    judgement = r.clinical_judgement
    assert judgement is not None
    assert "regional og udateret" in judgement.da and "regional and undated" in judgement.en
    assert "ikke udtømmende" in judgement.da and "not exhaustive" in judgement.en


# -- rectal bleeding ----------------------------------------------------------------------------


@pytest.mark.parametrize("age", [40, 55, 90])
def test_rectal_bleeding_from_40_matches(age: int) -> None:
    evidence = colorectal(BLEEDING, ctx(age=age, symptoms=["rectal_bleeding"]))
    assert evidence is not None
    assert any(e.get("code") == "rectal_bleeding" for e in evidence)


def test_rectal_bleeding_the_day_before_the_40th_birthday_does_not_match() -> None:
    context = ctx(age=39, last_day_of_age=True, symptoms=["rectal_bleeding"])
    assert colorectal(BLEEDING, context) is None


def test_rectal_bleeding_marked_as_explained_does_not_match() -> None:
    explained = {"code": "rectal_bleeding", "unexplained": False}
    assert colorectal(BLEEDING, ctx(age=60, symptoms=[explained])) is None


@pytest.mark.parametrize("code", ["change_in_bowel_habit", "abdominal_pain", "weight_loss"])
def test_other_bowel_or_general_symptoms_are_not_the_bleeding_criterion(code: str) -> None:
    assert colorectal(BLEEDING, ctx(age=60, symptoms=[code])) is None


# -- change in bowel habit for more than 4 weeks -------------------------------------------------


def test_change_in_bowel_habit_for_more_than_4_weeks_from_40_matches() -> None:
    symptom = {"code": "change_in_bowel_habit", "days_ago": 29}
    evidence = colorectal(BOWEL_HABIT, ctx(age=40, symptoms=[symptom]))
    assert evidence is not None
    assert any(e.get("code") == "change_in_bowel_habit" for e in evidence)


@pytest.mark.parametrize("days_ago", [0, 14, 28])
def test_change_in_bowel_habit_of_4_weeks_or_less_does_not_match(days_ago: int) -> None:
    symptom = {"code": "change_in_bowel_habit", "days_ago": days_ago}
    assert colorectal(BOWEL_HABIT, ctx(age=60, symptoms=[symptom])) is None


def test_change_in_bowel_habit_under_40_does_not_match() -> None:
    symptom = {"code": "change_in_bowel_habit", "days_ago": 60}
    context = ctx(age=39, last_day_of_age=True, symptoms=[symptom])
    assert colorectal(BOWEL_HABIT, context) is None


def test_change_in_bowel_habit_marked_as_explained_does_not_match() -> None:
    symptom = {"code": "change_in_bowel_habit", "days_ago": 60, "unexplained": False}
    assert colorectal(BOWEL_HABIT, ctx(age=60, symptoms=[symptom])) is None


@pytest.mark.parametrize("code", ["diarrhoea", "constipation", "rectal_bleeding"])
def test_other_symptoms_are_not_the_bowel_habit_criterion(code: str) -> None:
    symptom = {"code": code, "days_ago": 60}
    assert colorectal(BOWEL_HABIT, ctx(age=60, symptoms=[symptom])) is None


# -- anaemia from blood loss --------------------------------------------------------------------


def test_iron_deficiency_anaemia_from_40_matches() -> None:
    evidence = colorectal(ANAEMIA, ctx(age=40, findings=["iron_deficiency_anaemia"]))
    assert evidence is not None
    assert any(e.get("code") == "iron_deficiency_anaemia" for e in evidence)


def test_iron_deficiency_anaemia_under_40_does_not_match() -> None:
    context = ctx(age=39, last_day_of_age=True, findings=["iron_deficiency_anaemia"])
    assert colorectal(ANAEMIA, context) is None


def test_anaemia_not_known_to_be_iron_deficiency_does_not_match() -> None:
    assert colorectal(ANAEMIA, ctx(age=70, findings=["anaemia"])) is None
    assert colorectal(ANAEMIA, ctx(age=70, symptoms=["anaemia_symptoms"])) is None


def test_anaemia_judgement_states_opspors_reading() -> None:
    judgement = rule(ANAEMIA, RULESET).clinical_judgement
    assert judgement is not None
    assert "Opspors læsning" in judgement.da and "Opspor's" in judgement.en


# -- nothing at all -----------------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", RULES)
def test_a_person_without_findings_never_matches(rule_id: str) -> None:
    assert colorectal(rule_id, ctx(age=70)) is None
