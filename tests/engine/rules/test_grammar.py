"""The rule grammar: every kind of malformed rule fails at load with the file, the rule id and
the field named; and properties of the conditions ("at least N of" is monotone in symptoms)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.engine.facts import Facts
from opspor.engine.rules.loader import load_ruleset, load_ruleset_dir
from opspor.engine.rules.schema import RuleError, parse_rules
from opspor.engine.vocab import load_vocabulary
from tests.engine.rules.conftest import ctx, facts_of, uses_not

HEADER = """\
ruleset: test
title: Test rules
source: {title: Test, url: https://example.org, version: "1"}
rules: []
"""

VALID_RULE = {
    "id": "t-1",
    "cancer_site": "lung",
    "recommendation": "suspected_cancer_referral",
    "strength": "offer",
    "applies_to": "everyone",
    "investigation": None,
    "within_days": 28,
    "source": {"recommendation_number": "1.1.1"},
    "explanation": {"da": "Tekst.", "en": "Text."},
    "when": {"symptom": "haemoptysis"},
}


def write(folder: Path, files: dict[str, str]) -> Path:
    (folder / "_ruleset.yaml").write_text(HEADER, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def load_error(tmp_path: Path, files: dict[str, str]) -> str:
    with pytest.raises(RuleError) as caught:
        load_ruleset_dir(write(tmp_path, files))
    return str(caught.value)


def rule_yaml(**changes: Any) -> str:
    """A one-rule file: VALID_RULE with fields replaced; the value "__drop__" removes one."""
    import yaml

    rule = {**VALID_RULE, **changes}
    rule = {k: v for k, v in rule.items() if v != "__drop__"}
    return yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False)


def test_the_valid_rule_loads(tmp_path: Path) -> None:
    ruleset = load_ruleset_dir(write(tmp_path, {"site.yaml": rule_yaml()}))
    assert [r.id for r in ruleset.rules] == ["t-1"]


# Each case: the changed fields of the rule, and the field path the message must name.
MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {"recomendation": "x"}, "rule: unknown field(s) ['recomendation']"),
    ("missing explanation", {"explanation": "__drop__"}, "rule: missing field(s) ['explanation']"),
    ("missing when", {"when": "__drop__"}, "rule: missing field(s) ['when']"),
    ("bad recommendation", {"recommendation": "refer_now"}, "recommendation: 'refer_now'"),
    ("bad investigation", {"investigation": "mri_knee"}, "investigation: 'mri_knee'"),
    (
        "bad investigation in a list",
        {"investigation": ["full_blood_count", "cea"]},
        "investigation[1]: 'cea'",
    ),
    (
        "a test named twice",
        {"investigation": ["calcium", "calcium"]},
        "investigation: a test is named twice",
    ),
    ("empty list of tests", {"investigation": []}, "investigation: expected a non-empty list"),
    ("missing strength", {"strength": "__drop__"}, "rule: missing field(s) ['strength']"),
    ("bad strength", {"strength": "must"}, "strength: 'must' is not one of offer, consider"),
    (
        "strength against the recommendation",
        {"strength": "consider"},
        "strength: suspected_cancer_referral is always offer",
    ),
    ("missing age group", {"applies_to": "__drop__"}, "rule: missing field(s) ['applies_to']"),
    ("bad age group", {"applies_to": "teenagers"}, "applies_to: 'teenagers'"),
    ("bad audience", {"audience": "nurse"}, "audience: 'nurse'"),
    (
        "weighted score above all points",
        {
            "when": {
                "weighted_score": {
                    "at_least": 4,
                    "of": [{"points": 2, "when": {"symptom": "cough"}}],
                }
            }
        },
        "when.weighted_score.at_least: 4 is more than all items' points",
    ),
    (
        "weighted item without points",
        {"when": {"weighted_score": {"at_least": 1, "of": [{"when": {"symptom": "cough"}}]}}},
        "when.weighted_score.of[0]: missing field(s) ['points']",
    ),
    (
        "weighted item with zero points",
        {
            "when": {
                "weighted_score": {
                    "at_least": 1,
                    "of": [{"points": 0, "when": {"symptom": "cough"}}],
                }
            }
        },
        "when.weighted_score.of[0].points: expected a whole number of at least 1",
    ),
    (
        "duration as text",
        {"when": {"symptom": {"code": "cough", "lasting_more_than_days": "3 weeks"}}},
        "when.symptom.lasting_more_than_days",
    ),
    ("negative days", {"within_days": -1}, "within_days: expected a whole number"),
    ("days as text", {"within_days": "14"}, "within_days: expected a whole number"),
    ("source without number", {"source": {"note": "x"}}, "source: missing field(s)"),
    ("source with extra field", {"source": {"recommendation_number": "1", "page": 3}}, "source"),
    ("explanation without en", {"explanation": {"da": "Tekst."}}, "explanation: missing"),
    ("empty explanation", {"explanation": {"da": "Tekst.", "en": " "}}, "explanation.en"),
    ("judgement not da/en", {"clinical_judgement": "free text"}, "clinical_judgement"),
    ("condition with two keys", {"when": {"age": {"min": 40}, "sex": "male"}}, "when: a condition"),
    (
        "unknown condition",
        {"when": {"symptom_count": 2}},
        "when: unknown condition 'symptom_count'",
    ),
    (
        "unknown symptom",
        {"when": {"symptom": "coughing"}},
        "when.symptom: 'coughing' is not a symptom",
    ),
    (
        "unknown symptom in a list",
        {"when": {"symptoms": {"at_least": 1, "of": ["cough", "wheeze"]}}},
        "when.symptoms.of[1]: 'wheeze'",
    ),
    (
        "at least more than listed",
        {"when": {"symptoms": {"at_least": 3, "of": ["cough", "fatigue"]}}},
        "when.symptoms.at_least: 3 is more than the 2",
    ),
    (
        "at_least n more than conditions",
        {"when": {"at_least": {"n": 2, "of": [{"symptom": "cough"}]}}},
        "when.at_least.n: 2 is more than the 1",
    ),
    (
        "unknown finding",
        {"when": {"finding": "xray_bad"}},
        "when.finding: 'xray_bad' is not a finding",
    ),
    ("lab without threshold", {"when": {"lab": {"code": "fit"}}}, "when.lab: give a threshold"),
    ("unknown lab", {"when": {"lab": {"code": "cea", "above": 5}}}, "when.lab.code: 'cea'"),
    (
        "lab threshold as text",
        {"when": {"lab": {"code": "fit", "at_least": "10"}}},
        "when.lab.at_least",
    ),
    (
        "age min above max",
        {"when": {"age": {"min": 60, "max": 40}}},
        "when.age: min 60 is above max 40",
    ),
    ("age without bounds", {"when": {"age": {}}}, "when.age: give min, max or both"),
    ("bad sex", {"when": {"sex": "woman"}}, "when.sex: 'woman'"),
    ("bad smoking", {"when": {"smoking": ["ever"]}}, "when.smoking[0]: 'ever'"),
    ("unknown exposure", {"when": {"exposure": ["coal"]}}, "when.exposure[0]: 'coal'"),
    (
        "bad course",
        {"when": {"symptom": {"code": "cough", "course": "chronic"}}},
        "when.symptom.course: 'chronic'",
    ),
    (
        "unexplained not a boolean",
        {"when": {"symptom": {"code": "cough", "unexplained": "yes"}}},
        "when.symptom.unexplained: expected true or false",
    ),
    ("empty all", {"when": {"all": []}}, "when.all: expected a non-empty list"),
    ("bad signal", {"when": {"signal": "gut_feeling"}}, "when.signal: 'gut_feeling'"),
    ("bad id", {"id": "NG12 1.1.1"}, "id: expected lower-case"),
    (
        "nested path is named",
        {
            "when": {
                "all": [
                    {"age": {"min": 40}},
                    {"any": [{"finding": "thrombocytosis"}, {"lab": {"code": "x", "above": 1}}]},
                ]
            }
        },
        "when.all[1].any[1].lab.code: 'x'",
    ),
]


@pytest.mark.parametrize(("case", "changes", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_rule_names_file_rule_and_field(
    tmp_path: Path, case: str, changes: dict[str, Any], expected: str
) -> None:
    message = load_error(tmp_path, {"lung.yaml": rule_yaml(**changes)})
    rule_id = changes.get("id", "t-1")
    assert message.startswith(f"lung.yaml: rule {rule_id}: "), message
    assert expected in message, message


def test_the_second_rule_of_a_file_is_named_by_its_id(tmp_path: Path) -> None:
    text = """\
    rules:
      - {id: good, cancer_site: lung, recommendation: safety_net, strength: offer,
         applies_to: adults, source: {recommendation_number: "1"}, explanation: {da: a, en: b},
         when: {symptom: cough}}
      - {id: bad-one, cancer_site: lung, recommendation: safety_net, strength: offer,
         applies_to: adults, source: {recommendation_number: "1"}, explanation: {da: a, en: b},
         when: {symptom: {code: cough, within_days: 0}}}
    """
    message = load_error(tmp_path, {"breast.yaml": text})
    assert message.startswith("breast.yaml: rule bad-one: when.symptom.within_days"), message


def test_a_rule_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"site.yaml": rule_yaml(id="__drop__")})
    assert message.startswith("site.yaml: rule #0: rule: missing field(s) ['id']"), message


def test_the_same_id_twice_in_one_file(tmp_path: Path) -> None:
    import yaml

    text = yaml.safe_dump({"rules": [VALID_RULE, VALID_RULE]})
    message = load_error(tmp_path, {"lung.yaml": text})
    assert message == "lung.yaml: rule t-1: id: already used in lung.yaml"


def test_the_same_id_in_two_files_names_both(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"a.yaml": rule_yaml(), "b.yaml": rule_yaml()})
    assert message == "b.yaml: rule t-1: id: already used in a.yaml"


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"colorectal.yaml": "rules: [\n  - {id: x"})
    assert message.startswith("colorectal.yaml: not valid YAML"), message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: []\n", "colorectal.yaml: rule (header): rules: expected a non-empty list"),
        ("[]\n", "colorectal.yaml: rule (header): file: expected a mapping"),
        ("rules: [x]\nruleset: y\n", "colorectal.yaml: rule (header): file: unknown field(s)"),
        # An entry that is not a mapping has no id to name; the path names its position.
        ("rules: [plain text]\n", "colorectal.yaml: rule (header): rules[0]: expected a mapping"),
    ],
)
def test_a_malformed_site_file_is_named(tmp_path: Path, text: str, expected: str) -> None:
    message = load_error(tmp_path, {"colorectal.yaml": text})
    assert message.startswith(expected), message


def test_a_header_without_version_is_named(tmp_path: Path) -> None:
    (tmp_path / "_ruleset.yaml").write_text(
        "ruleset: t\ntitle: T\nsource: {title: T, url: https://e.org}\nrules: []\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_ruleset_dir(tmp_path)
    assert str(caught.value) == "_ruleset.yaml: rule (header): source: missing field(s) ['version']"


def test_the_shipped_ng12_header_states_the_version_read() -> None:
    source = load_ruleset("nice-ng12").source
    assert source["version"] == "Published 23 June 2015; last updated 1 May 2025"
    assert source["url"] == "https://www.nice.org.uk/guidance/ng12"


# -- properties ---------------------------------------------------------------------------------

SYMPTOM_CODES = sorted(load_vocabulary().symptoms)


def symptom_entries() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda code, unexplained, persistent, recurrent, days: {
            "code": code,
            "unexplained": unexplained,
            "persistent": persistent,
            "recurrent": recurrent,
            "days_ago": days,
        },
        st.sampled_from(SYMPTOM_CODES),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.integers(min_value=0, max_value=400),
    )


contexts = st.builds(
    lambda age, sex, smoking, symptoms, exposures: ctx(
        age=age, sex=sex, smoking=smoking, symptoms=symptoms, exposures=exposures
    ),
    st.integers(min_value=16, max_value=100),
    st.sampled_from(["female", "male"]),
    st.sampled_from(["never", "former", "current", "unknown"]),
    st.lists(symptom_entries(), max_size=6),
    st.lists(st.sampled_from(sorted(load_vocabulary().exposures)), max_size=2, unique=True),
)


def at_least_condition(n: int, codes: list[str], unexplained: bool, course: str) -> Any:
    rules = parse_rules(
        {
            "rules": [
                {
                    **VALID_RULE,
                    "when": {
                        "symptoms": {
                            "at_least": n,
                            "of": codes,
                            "unexplained": unexplained,
                            "course": course,
                        }
                    },
                }
            ]
        },
        file="property.yaml",
        vocab=load_vocabulary(),
    )
    return rules[0][0].when


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(SYMPTOM_CODES), min_size=1, max_size=8, unique=True).flatmap(
        lambda codes: st.tuples(st.just(codes), st.integers(min_value=1, max_value=len(codes)))
    ),
    st.booleans(),
    st.sampled_from(["any", "persistent", "recurrent", "persistent_or_recurrent"]),
    contexts,
    symptom_entries(),
)
def test_an_extra_symptom_never_removes_an_at_least_n_match(
    codes_n: tuple[list[str], int],
    unexplained: bool,
    course: str,
    context: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    codes, n = codes_n
    condition = at_least_condition(n, codes, unexplained, course)
    before = condition.test(facts_of(context))
    more = ctx_with_extra(context, extra)
    after = condition.test(facts_of(more))
    if before is not None:
        assert after is not None
        assert len(after) >= len(before)


MY_SITES = {
    "lung",
    "mesothelioma",
    "breast",
    "colorectal",
    "anal",
    "oesophageal",
    "stomach",
    "pancreatic",
}


def test_the_lung_breast_and_gi_rules_use_no_not() -> None:
    mine = [r for r in load_ruleset("nice-ng12").rules if r.cancer_site in MY_SITES]
    # 1.1.1 (two rules), 1.1.2-1.1.6, 1.2.1-1.2.9, 1.3.1-1.3.3, 1.3.5, 1.3.6, 1.4.1-1.4.3
    assert len(mine) == 24
    assert [r.id for r in mine if uses_not(r.when)] == []


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contexts, symptom_entries())
def test_an_extra_symptom_never_removes_a_match_of_an_ng12_rule_without_not(
    context: dict[str, Any], extra: dict[str, Any]
) -> None:
    before = facts_of(context)
    after = facts_of(ctx_with_extra(context, extra))
    for rule in load_ruleset("nice-ng12").rules:
        if not uses_not(rule.when) and rule.when.test(before) is not None:
            assert rule.when.test(after) is not None, rule.id


def ctx_with_extra(context: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The same context with one more symptom entry, dated like ctx() dates them."""
    from datetime import date, timedelta

    as_of = date.fromisoformat(context["as_of"])
    entry = {k: v for k, v in extra.items() if k != "days_ago"}
    entry["onset"] = (as_of - timedelta(days=extra["days_ago"])).isoformat()
    return {**context, "symptoms": [*context["symptoms"], entry]}


def test_facts_helper_matches_direct_construction() -> None:
    # The helper is what every rule test relies on; it must give the age the test states.
    facts: Facts = facts_of(ctx(age=40))
    assert facts.age == 40
    assert facts_of(ctx(age=39, last_day_of_age=True)).age == 39


# -- the age group, the audience, several tests, weighted checklists, durations, pathways ----


def one_rule(**changes: Any) -> Any:
    (rules, _pathway) = parse_rules(
        {"rules": [{**VALID_RULE, **changes}]}, file="t.yaml", vocab=load_vocabulary()
    )
    return rules[0]


@pytest.mark.parametrize(
    ("applies_to", "youngest", "oldest"),
    [
        ("adults", 18, 110),
        ("young_people_and_adults", 16, 110),
        ("children_and_young_people", 0, 24),
        ("children", 0, 15),
        ("everyone", 0, 110),
    ],
)
def test_the_age_group_bounds_the_rule_to_its_years(
    applies_to: str, youngest: int, oldest: int
) -> None:
    rule = one_rule(applies_to=applies_to)
    for age in range(0, 111):
        holds = rule.when.test(facts_of(ctx(age=age, symptoms=["haemoptysis"]))) is not None
        assert holds == (youngest <= age <= oldest), age
    if youngest > 0:
        day_before = ctx(age=youngest - 1, last_day_of_age=True, symptoms=["haemoptysis"])
        assert rule.when.test(facts_of(day_before)) is None


def test_several_tests_are_kept_in_their_order_and_the_first_is_the_investigation() -> None:
    rule = one_rule(
        recommendation="non_urgent_investigation",
        investigation=["full_blood_count", "calcium", "serum_free_light_chains"],
    )
    assert rule.investigations == ("full_blood_count", "calcium", "serum_free_light_chains")
    assert rule.investigation == "full_blood_count"
    assert one_rule().investigations == ()
    assert one_rule().investigation is None


def test_a_rule_for_dentists_is_loaded_but_not_run_for_a_gp(tmp_path: Path) -> None:
    import yaml

    text = yaml.safe_dump(
        {"rules": [VALID_RULE, {**VALID_RULE, "id": "t-dentist", "audience": "dentist"}]}
    )
    ruleset = load_ruleset_dir(write(tmp_path, {"oral.yaml": text}))
    assert [r.id for r in ruleset.rules] == ["t-1", "t-dentist"]
    assert [r.id for r in ruleset.for_gp] == ["t-1"]


SEVEN_POINT = {
    "weighted_score": {
        "at_least": 3,
        "of": [
            {"points": 2, "when": {"symptom": {"code": "cough", "unexplained": False}}},
            {"points": 1, "when": {"symptom": {"code": "fatigue", "unexplained": False}}},
            {"points": 1, "when": {"symptom": {"code": "fever", "unexplained": False}}},
        ],
    }
}


@pytest.mark.parametrize(
    ("present", "total"),
    [([], None), (["cough"], None), (["fatigue", "fever"], None), (["cough", "fatigue"], 3)],
)
def test_a_weighted_score_counts_the_points_of_the_items_present(
    present: list[str], total: int | None
) -> None:
    evidence = one_rule(when=SEVEN_POINT).when.test(facts_of(ctx(symptoms=present)))
    if total is None:
        assert evidence is None
    else:
        assert evidence is not None
        assert {"input": "score", "points": total, "threshold": 3} in evidence
        assert {e.get("code") for e in evidence} >= set(present)


@pytest.mark.parametrize(("days_ago", "holds"), [(21, False), (22, True), (400, True)])
def test_lasting_more_than_counts_from_the_onset(days_ago: int, holds: bool) -> None:
    rule = one_rule(when={"symptom": {"code": "cough", "lasting_more_than_days": 21}})
    facts = facts_of(ctx(symptoms=[{"code": "cough", "days_ago": days_ago}]))
    assert (rule.when.test(facts) is not None) == holds


PATHWAY = {
    "code": "lung",
    "title": {"da": "Pakkeforløb for lungekræft", "en": "Lung cancer pathway"},
    "source": None,
    "entry_criteria": "not_found",
    "tried": ["sst.dk: only the table of contents"],
}


def test_a_pathway_without_criteria_is_kept_with_what_was_tried(tmp_path: Path) -> None:
    import yaml

    text = yaml.safe_dump({"pathway": PATHWAY, "rules": []}, allow_unicode=True)
    ruleset = load_ruleset_dir(write(tmp_path, {"lung.yaml": text}))
    (pathway,) = ruleset.pathways
    assert (pathway.code, pathway.entry_criteria, pathway.file) == (
        "lung",
        "not_found",
        "lung.yaml",
    )
    assert pathway.tried == ("sst.dk: only the table of contents",)
    assert ruleset.rules == ()


@pytest.mark.parametrize(
    ("changes", "rules", "expected"),
    [
        ({"tried": []}, [], "pathway.tried: say what was tried"),
        ({"entry_criteria": "maybe"}, [], "pathway.entry_criteria: 'maybe'"),
        ({}, [VALID_RULE], "pathway.entry_criteria: not_found, yet the file has rules"),
        ({"code": "Lung Cancer"}, [], "pathway.code: expected lower-case"),
        ({"source": {"title": "x"}}, [], "pathway.source: missing field(s) ['url']"),
    ],
)
def test_a_malformed_pathway_is_refused(
    tmp_path: Path, changes: dict[str, Any], rules: list[Any], expected: str
) -> None:
    import yaml

    text = yaml.safe_dump({"pathway": {**PATHWAY, **changes}, "rules": rules})
    message = load_error(tmp_path, {"lung.yaml": text})
    assert message.startswith("lung.yaml: rule (pathway): "), message
    assert expected in message, message


def test_the_same_pathway_in_two_files_is_refused(tmp_path: Path) -> None:
    import yaml

    text = yaml.safe_dump({"pathway": PATHWAY, "rules": []}, allow_unicode=True)
    message = load_error(tmp_path, {"a.yaml": text, "b.yaml": text})
    assert message == "b.yaml: pathway 'lung' is also described in a.yaml"
