"""The organ-specific Danish pathways. Only the bladder-and-kidney pathway's entry criteria could
be read (as the DaBlaCa guideline quotes them); the others are absent on purpose. These tests
pin both: every pathway file present has tests here, and each encoded criterion matches and
fails to match as its wording says."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.rules.loader import RULES_DIR, load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
ORGAN_FILES = ("lung", "breast", "kidney", "lymphoma", "leukaemia", "prostate")
# The pathway files with tests in this module; any other organ file must not exist.
TESTED_FILES = ("kidney",)

VISIBLE = "dk-pkf-blaere-nyre-synligt-blod-i-urinen"
NON_VISIBLE = "dk-pkf-blaere-nyre-ikke-synligt-blod-over-60"
IMAGING = "dk-pkf-blaere-nyre-billeddiagnostisk-mistanke"
KIDNEY_RULES = (VISIBLE, NON_VISIBLE, IMAGING)

# The symptoms the second criterion names, as Opspor reads them (see its clinical_judgement).
ACCOMPANYING = [
    "bladder_region_pain",
    "urinary_frequency",
    "urinary_urgency",
    "dysuria",
    "nocturia",
    "flank_pain",
    "abdominal_mass",
    "upper_abdominal_mass",
]


def kidney(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


# -- which pathways exist ----------------------------------------------------------------------


def _not_found(name: str) -> bool:
    """A pathway file that says its criteria could not be read and encodes nothing."""
    data = yaml.safe_load((RULES_DIR / RULESET / f"{name}.yaml").read_text(encoding="utf-8"))
    return data.get("rules") == [] and data["pathway"]["entry_criteria"] == "not_found"


def test_no_organ_pathway_file_without_tests_here() -> None:
    folder = RULES_DIR / RULESET
    for name in ORGAN_FILES:
        present = (folder / f"{name}.yaml").exists()
        assert (name in TESTED_FILES) or not present or _not_found(name), (
            f"{name}.yaml: present={present}; a pathway file needs its document and tests here"
        )


def test_rules_of_untested_pathways_do_not_exist() -> None:
    sites = {r.cancer_site for r in load_ruleset(RULESET).rules}
    assert sites.isdisjoint(set(ORGAN_FILES) - set(TESTED_FILES))
    ids = {r.id for r in load_ruleset(RULESET).rules if r.cancer_site == "kidney"}
    assert ids == set(KIDNEY_RULES)


def test_the_rule_set_says_what_was_found_what_not_and_where_it_looked() -> None:
    header = yaml.safe_load((RULES_DIR / RULESET / "_ruleset.yaml").read_text(encoding="utf-8"))
    notes = header["notes"]
    for name in ORGAN_FILES:
        assert f"{name}.yaml" in notes
    assert "DaBlaCa" in notes and "tkdreyer/dablaca_app" in notes
    assert "not in the stored copies" in notes
    assert "no criterion is encoded from memory" in notes
    assert "Searched:" in notes


def test_every_rule_cites_its_document() -> None:
    for r in load_ruleset(RULESET).rules:
        assert "pakkeforløb" in r.recommendation_number.lower()
        assert r.clinical_judgement is not None


@pytest.mark.parametrize("rule_id", KIDNEY_RULES)
def test_kidney_rules_cite_the_pathway_its_criterion_and_the_quoting_guideline(
    rule_id: str,
) -> None:
    r = rule(rule_id, RULESET)
    assert r.cancer_site == "kidney"
    assert r.recommendation == "suspected_cancer_referral"
    # The quoted text gives no time frame and names no test for the GP to order.
    assert r.within_days is None and r.investigation is None
    number = r.recommendation_number
    assert "Pakkeforløb for kræft i blære og nyrer" in number
    assert "DaBlaCa" in number and "Udredningsforløb og pakkeforløb" in number
    assert "version før 2019" in number
    assert "blære" in r.explanation.da and "bladder" in r.explanation.en


# -- criterion 1: visible haematuria without another obvious cause ------------------------------


@pytest.mark.parametrize("age", [18, 45, 80])
def test_visible_haematuria_matches_at_any_age(age: int) -> None:
    evidence = kidney(VISIBLE, ctx(age=age, symptoms=["visible_haematuria"]))
    assert evidence is not None
    assert any(e.get("code") == "visible_haematuria" for e in evidence)


def test_visible_haematuria_has_no_age_limit_even_young() -> None:
    # The source gives no age limit; the rule invents none.
    assert kidney(VISIBLE, ctx(age=25, symptoms=["visible_haematuria"])) is not None


def test_visible_haematuria_with_another_obvious_cause_does_not_match() -> None:
    explained = {"code": "visible_haematuria", "unexplained": False}
    assert kidney(VISIBLE, ctx(age=70, symptoms=[explained])) is None


def test_non_visible_haematuria_is_not_the_visible_criterion() -> None:
    assert kidney(VISIBLE, ctx(age=70, symptoms=["non_visible_haematuria"])) is None


def test_visible_haematuria_judgement_names_the_sources_examples() -> None:
    judgement = rule(VISIBLE, RULESET).clinical_judgement
    assert judgement is not None
    assert "antikoagulans" in judgement.da and "urinvejsbetændelse" in judgement.da
    assert "urinretention" in judgement.da
    assert "anticoagulant" in judgement.en and "urinary retention" in judgement.en
    assert "ingen aldersgrænse" in judgement.da and "no age" in judgement.en


# -- criterion 2: non-visible haematuria over 60 with symptoms being investigated ---------------


@pytest.mark.parametrize("code", ACCOMPANYING)
def test_non_visible_haematuria_over_60_with_each_symptom_matches(code: str) -> None:
    evidence = kidney(NON_VISIBLE, ctx(age=60, symptoms=["non_visible_haematuria", code]))
    assert evidence is not None
    assert any(e.get("code") == code for e in evidence)


def test_age_60_matches_and_59_does_not() -> None:
    symptoms = ["non_visible_haematuria", "flank_pain"]
    assert kidney(NON_VISIBLE, ctx(age=60, symptoms=symptoms)) is not None
    assert kidney(NON_VISIBLE, ctx(age=59, last_day_of_age=True, symptoms=symptoms)) is None


def test_asymptomatic_non_visible_haematuria_does_not_match() -> None:
    assert kidney(NON_VISIBLE, ctx(age=75, symptoms=["non_visible_haematuria"])) is None


def test_the_symptoms_without_haematuria_do_not_match() -> None:
    assert kidney(NON_VISIBLE, ctx(age=75, symptoms=["flank_pain", "dysuria"])) is None


@pytest.mark.parametrize("code", ["back_pain", "pelvic_pain", "urinary_hesitancy", "fatigue"])
def test_symptoms_the_criterion_does_not_name_do_not_match(code: str) -> None:
    assert kidney(NON_VISIBLE, ctx(age=70, symptoms=["non_visible_haematuria", code])) is None


def test_non_visible_criterion_does_not_require_unexplained_findings() -> None:
    # The quoted wording has no "without another obvious cause" for this criterion.
    symptoms = [
        {"code": "non_visible_haematuria", "unexplained": False},
        {"code": "dysuria", "unexplained": False},
    ]
    assert kidney(NON_VISIBLE, ctx(age=65, symptoms=symptoms)) is not None


def test_non_visible_judgement_states_opspors_readings_and_the_age_reading() -> None:
    judgement = rule(NON_VISIBLE, RULESET).clinical_judgement
    assert judgement is not None
    assert "Irritative vandladningsgener" in judgement.da and "Opspors" in judgement.da
    assert "irritative voiding symptoms" in judgement.en and "Opspor's" in judgement.en
    assert "60 år og derover" in judgement.da and "60 and over" in judgement.en


# -- criterion 3: imaging suggests a tumour of the urinary tract -------------------------------


def test_imaging_suggesting_a_urinary_tract_tumour_matches_at_any_age() -> None:
    finding = "imaging_suggests_urinary_tract_tumour"
    for age in (30, 70):
        evidence = kidney(IMAGING, ctx(age=age, findings=[finding]))
        assert evidence is not None
        assert any(e.get("code") == finding for e in evidence)


def test_without_the_imaging_finding_no_match() -> None:
    assert kidney(IMAGING, ctx(age=70)) is None
    assert kidney(IMAGING, ctx(age=70, findings=["chest_xray_suggests_lung_cancer"])) is None
    assert kidney(IMAGING, ctx(age=70, symptoms=["visible_haematuria"])) is None


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(
        st.sampled_from([*ACCOMPANYING, "non_visible_haematuria", "visible_haematuria", "cough"]),
        unique=True,
    ),
    extra=st.sampled_from([*ACCOMPANYING, "non_visible_haematuria", "visible_haematuria"]),
    age=st.integers(min_value=18, max_value=100),
    rule_id=st.sampled_from(KIDNEY_RULES),
)
def test_an_extra_symptom_never_removes_a_match(
    base: list[str], extra: str, age: int, rule_id: str
) -> None:
    before = kidney(rule_id, ctx(age=age, symptoms=base)) is not None
    after = kidney(rule_id, ctx(age=age, symptoms=[*base, extra])) is not None
    assert after or not before


@settings(max_examples=40, deadline=None)
@given(age=st.integers(min_value=0, max_value=59), code=st.sampled_from(ACCOMPANYING))
def test_under_60_the_non_visible_criterion_never_matches(age: int, code: str) -> None:
    symptoms = ["non_visible_haematuria", code]
    assert kidney(NON_VISIBLE, ctx(age=age, symptoms=symptoms)) is None
