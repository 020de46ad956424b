"""Urgency and strength as NG12 words them, for the sections encoded before the full coverage:
each rule's kind of action (refer, very urgent, non-urgent, a test), its strength ("refer" or
"offer" against "consider") and the age group it names, read against the guideline's sentence.
The newer sections carry the same check in their own test files."""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import rule

YP = "young_people_and_adults"
MYELOMA_TESTS = (
    "full_blood_count",
    "calcium",
    "plasma_viscosity_or_esr",
    "serum_protein_electrophoresis",
    "serum_free_light_chains",
)

# rule id: (recommendation, strength, applies_to, tests) — with the guideline's words.
WORDING: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # "Refer people using a suspected cancer pathway referral"
    "ng12-1.1.1-chest-xray": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.1.1-haemoptysis": ("suspected_cancer_referral", "offer", YP, ()),
    # "Offer an urgent chest X-ray (to be done within 2 weeks)"
    "ng12-1.1.2-chest-xray": ("urgent_investigation", "offer", YP, ("chest_xray",)),
    # "Consider an urgent chest X-ray"
    "ng12-1.1.3-chest-xray": ("urgent_investigation", "consider", YP, ("chest_xray",)),
    "ng12-1.1.4-chest-xray": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.1.5-chest-xray": ("urgent_investigation", "offer", YP, ("chest_xray",)),
    "ng12-1.1.6-chest-xray": ("urgent_investigation", "consider", YP, ("chest_xray",)),
    "ng12-1.2.1-oesophageal-referral": ("suspected_cancer_referral", "offer", YP, ()),
    # "Consider non-urgent, direct access upper gastrointestinal endoscopy"
    "ng12-1.2.2-haematemesis": (
        "non_urgent_investigation",
        "consider",
        YP,
        ("upper_gi_endoscopy",),
    ),
    "ng12-1.2.3-endoscopy": ("non_urgent_investigation", "consider", YP, ("upper_gi_endoscopy",)),
    "ng12-1.2.4-jaundice": ("suspected_cancer_referral", "offer", YP, ()),
    # "Consider an urgent, direct access CT scan (to be done within 2 weeks)"
    "ng12-1.2.5-ct": ("urgent_investigation", "consider", YP, ("ct_abdomen",)),
    "ng12-1.2.6-upper-abdominal-mass": ("consider_referral", "consider", YP, ()),
    "ng12-1.2.7-stomach-referral": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.2.8-haematemesis": (
        "non_urgent_investigation",
        "consider",
        YP,
        ("upper_gi_endoscopy",),
    ),
    "ng12-1.2.9-endoscopy": ("non_urgent_investigation", "consider", YP, ("upper_gi_endoscopy",)),
    # "Offer quantitative faecal immunochemical testing (FIT) ... in adults": no urgency given
    "ng12-1.3.1-fit": ("non_urgent_investigation", "offer", "adults", ("fit",)),
    "ng12-1.3.2-fit-positive": ("suspected_cancer_referral", "offer", "adults", ()),
    "ng12-1.3.3-fit-below-threshold": ("safety_net", "offer", "adults", ()),
    "ng12-1.3.5-rectal-mass": ("consider_referral", "consider", "adults", ()),
    "ng12-1.3.6-anal": ("consider_referral", "consider", YP, ()),
    "ng12-1.4.1-breast-referral": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.4.2-breast-consider": ("consider_referral", "consider", YP, ()),
    # "Consider non-urgent referral in people aged under 30"
    "ng12-1.4.3-breast-under-30": ("non_urgent_referral", "consider", YP, ()),
    # "Make a referral to a gynaecological cancer service using a suspected cancer pathway referral"
    "ng12-1.5.1-ovarian-examination": ("suspected_cancer_referral", "offer", YP, ()),
    # "Carry out tests in primary care" / "Consider carrying out tests": CA125, no urgency given
    "ng12-1.5.2-ca125-persistent-symptoms": ("non_urgent_investigation", "offer", YP, ()),
    "ng12-1.5.3-ca125-weight-loss-fatigue-bowel": ("non_urgent_investigation", "consider", YP, ()),
    "ng12-1.5.4-return-if-symptoms-persist": ("safety_net", "offer", YP, ()),
    "ng12-1.5.5-ca125-ibs-symptoms-50": ("non_urgent_investigation", "offer", YP, ()),
    # "arrange an ultrasound scan of the abdomen and pelvis"
    "ng12-1.5.7-ca125-raised-ultrasound": (
        "non_urgent_investigation",
        "offer",
        YP,
        ("abdominal_pelvic_ultrasound",),
    ),
    "ng12-1.5.8-ultrasound-suggests-ovarian-cancer": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.5.9-normal-ca125-safety-net": ("safety_net", "offer", YP, ()),
    "ng12-1.6.1-prostate-dre": ("suspected_cancer_referral", "offer", YP, ()),
    # "Consider a PSA test and digital rectal examination": no urgency given
    "ng12-1.6.2-psa-and-dre": ("non_urgent_investigation", "consider", YP, ("psa",)),
    "ng12-1.6.3-psa-above-age-threshold": ("consider_referral", "consider", YP, ()),
    "ng12-1.6.4-bladder-visible-haematuria": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.6.4-bladder-non-visible-haematuria": ("suspected_cancer_referral", "offer", YP, ()),
    # "Consider non-urgent referral for bladder cancer"
    "ng12-1.6.5-bladder-urinary-tract-infection": ("non_urgent_referral", "consider", YP, ()),
    "ng12-1.6.6-renal-visible-haematuria": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.6.7-testicular-enlargement": ("consider_referral", "consider", YP, ()),
    # "Consider a direct access ultrasound scan for testicular cancer"
    "ng12-1.6.8-testicular-symptoms": (
        "non_urgent_investigation",
        "consider",
        YP,
        ("testicular_ultrasound",),
    ),
    # "Consider a very urgent full blood count (within 48 hours) ... in adults"
    "ng12-1.10.1-leukaemia-full-blood-count": (
        "urgent_investigation",
        "consider",
        "adults",
        ("full_blood_count",),
    ),
    # "Offer the following to assess for myeloma": every test named
    "ng12-1.10.4-myeloma-blood-tests": ("non_urgent_investigation", "offer", YP, MYELOMA_TESTS),
    "ng12-1.10.5-myeloma-blood-tests-under-60": (
        "non_urgent_investigation",
        "consider",
        YP,
        MYELOMA_TESTS,
    ),
    "ng12-1.10.6-myeloma-results": ("suspected_cancer_referral", "offer", YP, ()),
    "ng12-1.10.7-non-hodgkin-lymphoma": ("consider_referral", "consider", "adults", ()),
    "ng12-1.10.9-hodgkin-lymphoma": ("consider_referral", "consider", "adults", ()),
}


@pytest.mark.parametrize("rule_id", sorted(WORDING))
def test_each_rule_carries_the_guidelines_urgency_strength_and_age_group(rule_id: str) -> None:
    recommendation, strength, applies_to, tests = WORDING[rule_id]
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to) == (recommendation, strength, applies_to)
    if tests:
        assert r.investigations == tests


def test_the_very_urgent_blood_count_is_due_within_48_hours() -> None:
    assert rule("ng12-1.10.1-leukaemia-full-blood-count").within_days == 2


def test_non_urgent_tests_and_referrals_carry_no_time_frame() -> None:
    for rule_id, (recommendation, *_rest) in WORDING.items():
        if recommendation.startswith("non_urgent"):
            assert rule(rule_id).within_days is None, rule_id
