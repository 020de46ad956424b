"""The whole assessment on the study's stories: which findings appear, and what they say."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext

T = date(2026, 11, 20)


def _ctx(**fields: Any) -> PatientContext:
    data: dict[str, Any] = {
        "as_of": T.isoformat(),
        "patient": {"birth_date": "1968-03-01", "sex": "male", "registered_from": "2005-01-01"},
    }
    for key, value in fields.items():
        if key == "patient":
            data["patient"].update(value)
        else:
            data[key] = value
    return PatientContext.model_validate(data)


def _ago(days: int) -> str:
    return (T - timedelta(days=days)).isoformat()


def test_man_living_alone_returning_after_years_shows_absence_break_and_flags() -> None:
    context = _ctx(
        patient={"lives_alone": True},
        current_clinician="B",
        contacts=[
            {"date": _ago(1900), "clinician": "A"},
            {"date": _ago(21), "clinician": "B"},
            {"date": _ago(7), "clinician": "B"},
            {"date": _ago(0), "clinician": "B"},
        ],
    )
    result = assess(context, ruleset="nice-ng12")
    kinds = {f.kind for f in result.findings}
    assert {"long_absence", "pattern_break", "vulnerability"} <= kinds
    (absence,) = result.of_kind("long_absence")
    assert absence.gap_days == 1879
    (flags,) = result.of_kind("vulnerability")
    assert flags.flags == ["male_living_alone", "long_absence"]
    (pb,) = result.of_kind("pattern_break")
    assert pb.recent_count == 3 and pb.expected < 1
    assert "3 kontakter" in pb.explanation.da


# Statements that a patient does not have cancer. "Does not rule out cancer" (udelukker ikke
# kræft) is the opposite and is allowed.
_ALL_CLEAR = re.compile(
    r"\b(er|det er) ikke kræft|\bingen (tegn på )?kræft|\bkræft (er )?udelukket|\budelukker kræft"
    r"|\bis not cancer|\bno (sign of )?cancer|\bcancer (is |has been )?ruled out"
    r"|(?<!not )\brules? out cancer|\bnot cancer\b",
    re.IGNORECASE,
)


def test_the_all_clear_pattern_tells_the_two_apart() -> None:
    assert _ALL_CLEAR.search("Det er ikke kræft.")
    assert _ALL_CLEAR.search("Cancer has been ruled out")
    assert not _ALL_CLEAR.search("En negativ test udelukker ikke kræft.")
    assert not _ALL_CLEAR.search("A normal X-ray does not rule out cancer.")


def test_no_finding_ever_says_it_is_not_cancer() -> None:
    result = assess(
        _ctx(symptoms=[{"code": "haemoptysis", "onset": _ago(10)}]), ruleset="nice-ng12"
    )
    text = " ".join(f.explanation.da + " " + f.explanation.en for f in result.findings)
    assert not _ALL_CLEAR.search(text)


def test_no_text_in_the_engine_data_says_it_is_not_cancer() -> None:
    engine = Path(__file__).resolve().parents[2] / "src" / "opspor" / "engine"
    for path in engine.rglob("*.yaml"):
        if "vocab" in path.parts:
            continue
        match = _ALL_CLEAR.search(" ".join(path.read_text(encoding="utf-8").split()))
        assert match is None, (path.name, match.group(0) if match else "")


def test_guideline_criterion_carries_rule_source_and_evidence() -> None:
    result = assess(
        _ctx(symptoms=[{"code": "haemoptysis", "onset": _ago(10)}]), ruleset="nice-ng12"
    )
    criteria = [
        f for f in result.of_kind("guideline_criterion") if f.rule_id == "ng12-1.1.1-haemoptysis"
    ]
    (criterion,) = criteria
    assert criterion.source.recommendation_number == "1.1.1"
    assert criterion.source.url.startswith("https://www.nice.org.uk/guidance/ng12")
    assert {"input": "age", "value": 58} in criterion.because


def test_multimorbid_patient_sees_the_new_symptom_not_the_familiar_ones() -> None:
    context = _ctx(
        conditions=[
            {"code": "J44", "system": "icd10", "chronic": True},
            {"code": "I50", "system": "icd10", "chronic": True},
        ],
        medications=[{"atc": "B01AF01", "start": "2020-01-01"}],
        symptoms=[
            {"code": "shortness_of_breath", "onset": _ago(20)},
            {"code": "fatigue", "onset": _ago(20)},
            {"code": "bruising", "onset": _ago(15)},
            {"code": "visible_haematuria", "onset": _ago(5)},
        ],
    )
    result = assess(context)
    assert [f.symptom for f in result.of_kind("new_symptom")] == ["visible_haematuria"]
    assert "multimorbidity" in result.of_kind("vulnerability")[0].flags


def test_psychiatric_and_substance_codes_raise_flags_in_both_code_systems() -> None:
    for conditions, flag in (
        ([{"code": "F20.0", "system": "icd10"}], "psychiatric_diagnosis"),
        ([{"code": "F41", "system": "icd10"}], "psychiatric_diagnosis"),
        ([{"code": "P72", "system": "icpc2"}], "psychiatric_diagnosis"),
        ([{"code": "F10.2", "system": "icd10"}], "substance_abuse"),
        ([{"code": "P19", "system": "icpc2"}], "substance_abuse"),
    ):
        result = assess(_ctx(conditions=conditions))
        assert flag in result.of_kind("vulnerability")[0].flags
    smoker = assess(_ctx(conditions=[{"code": "F17", "system": "icd10"}]))
    assert not smoker.of_kind("vulnerability")


def test_interpreter_need_is_a_vulnerability() -> None:
    result = assess(_ctx(patient={"interpreter_needed": True, "language": "prs"}))
    assert result.of_kind("vulnerability")[0].flags == ["language_barrier"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "cough",
                "fatigue",
                "shortness_of_breath",
                "chest_pain",
                "weight_loss",
                "appetite_loss",
                "haemoptysis",
                "fever",
            ]
        ),
        max_size=6,
    ),
    st.sampled_from(["cough", "weight_loss", "haemoptysis", "night_sweats"]),
)
def test_an_extra_symptom_never_removes_a_guideline_match(codes: list[str], extra: str) -> None:
    def rules_for(symptoms: list[str]) -> set[str]:
        context = _ctx(symptoms=[{"code": c, "onset": _ago(20)} for c in symptoms])
        return {
            f.rule_id for f in assess(context, ruleset="nice-ng12").of_kind("guideline_criterion")
        }

    assert rules_for(codes) <= rules_for([*codes, extra])


def test_every_assessment_validates_against_its_own_schema() -> None:
    from opspor.engine.assessment import Assessment

    context = _ctx(
        patient={"lives_alone": True, "smoking": "current"},
        current_clinician="B",
        contacts=[
            {"date": _ago(d), "clinician": "A" if d > 400 else "B"} for d in (0, 7, 21, 900, 1900)
        ],
        symptoms=[
            {"code": c, "onset": _ago(30)}
            for c in ("haemoptysis", "weight_loss", "fatigue", "cough")
        ],
        labs=[{"code": "haemoglobin", "value": 6.9, "unit": "mmol/L", "date": _ago(3)}],
        conditions=[{"code": "J44", "system": "icd10", "chronic": True}],
    )
    for ruleset in ("dk-pakkeforloeb", "nice-ng12"):
        result = assess(context, ruleset=ruleset)
        again = Assessment.model_validate_json(result.model_dump_json())
        assert again == Assessment.model_validate(result.model_dump())
        assert {f.kind for f in again.findings} >= {"guideline_criterion", "vulnerability"}


def test_a_rule_from_another_publication_cites_its_own_source() -> None:
    result = assess(_ctx(symptoms=[{"code": "visible_haematuria", "onset": _ago(3)}]))
    sources = {f.rule_id: f.source for f in result.of_kind("guideline_criterion")}
    kidney = sources["dk-pkf-blaere-nyre-synligt-blod-i-urinen"]
    assert "DaBlaCa" in kidney.title
    assert kidney.url.startswith("https://")


def test_a_rule_source_with_a_title_but_no_url_is_refused(tmp_path: Path) -> None:
    import pytest

    from opspor.engine.rules.loader import load_ruleset_dir
    from opspor.engine.rules.schema import RuleError

    (tmp_path / "_ruleset.yaml").write_text(
        "ruleset: t\ntitle: T\nsource: {title: T, url: 'https://x', version: '1'}\nrules: []\n"
    )
    (tmp_path / "site.yaml").write_text(
        "rules:\n  - id: r1\n    cancer_site: lung\n    recommendation: safety_net\n"
        "    strength: offer\n    applies_to: adults\n"
        "    source: {recommendation_number: '1', title: Other}\n"
        "    explanation: {da: a, en: b}\n    when: {age: {min: 18}}\n"
    )
    with pytest.raises(RuleError, match=r"site.yaml: rule r1: source: .*title and url"):
        load_ruleset_dir(tmp_path)
