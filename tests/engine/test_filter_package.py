"""The pre-referral test packages and the list of tests a patient lacks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.context import PatientContext
from opspor.engine.filter_package import (
    DEFAULT_PACKAGE,
    PACKAGES_FILE,
    FilterPackageError,
    load_filter_packages,
    missing_filter_tests,
)
from opspor.engine.vocab import load_vocabulary
from tests.engine.rules.conftest import ctx

AS_OF = date(2025, 6, 2)


def complete(package: str = DEFAULT_PACKAGE, days_ago: int = 7) -> dict[str, list[Any]]:
    """Labs and findings with every code of the package, `days_ago` days old."""
    vocab = load_vocabulary()
    labs: list[Any] = []
    findings: list[Any] = []
    for test in load_filter_packages()[package].tests:
        for code in test.codes:
            if code in vocab.labs:
                labs.append({"code": code, "value": 1.0, "days_ago": days_ago})
            elif days_ago <= test.max_age_days:
                findings.append({"code": code, "days_ago": days_ago})
    return {"labs": labs, "findings": findings}


def person(
    *,
    age: int = 60,
    sex: str = "female",
    record: dict[str, list[Any]] | None = None,
    last_day_of_age: bool = False,
) -> dict[str, Any]:
    record = record or {"labs": [], "findings": []}
    return ctx(
        age=age,
        sex=sex,
        labs=record["labs"],
        findings=record["findings"],
        last_day_of_age=last_day_of_age,
    )


def missing(context: dict[str, Any], package: str = DEFAULT_PACKAGE) -> dict[str, Any]:
    items = missing_filter_tests(PatientContext.model_validate(context), package)
    return {m.test_id: m for m in items}


def without(data: dict[str, list[Any]], *codes: str) -> dict[str, list[Any]]:
    return {k: [e for e in v if e["code"] not in codes] for k, v in data.items()}


def test_the_default_package_says_where_it_comes_from() -> None:
    package = load_filter_packages()[DEFAULT_PACKAGE]
    assert package.provenance.verified is False
    assert "Capital Region" in package.provenance.region
    assert package.provenance.url.startswith("https://")


def test_a_complete_recent_package_lacks_nothing() -> None:
    assert missing(person(age=60, sex="male", record=complete())) == {}
    assert missing(person(age=60, sex="female", record=complete())) == {}
    assert (
        missing(person(age=60, record=complete("haematology-herlev")), "haematology-herlev") == {}
    )


def test_an_empty_record_lacks_every_test() -> None:
    tests = load_filter_packages()[DEFAULT_PACKAGE].tests
    man = missing(person(age=60, sex="male"))
    assert set(man) == {t.id for t in tests}
    assert all(m.reason == "absent" and m.newest is None for m in man.values())


def test_psa_is_not_required_for_a_woman() -> None:
    assert "psa" not in missing(person(age=70, sex="female"))
    assert "psa" not in missing(person(age=70, sex="female", record=without(complete(), "psa")))


def test_psa_is_required_for_men_over_50() -> None:
    record = without(complete(), "psa")
    assert set(missing(person(age=51, sex="male", record=record))) == {"psa"}
    assert missing(person(age=50, sex="male", last_day_of_age=True, record=record)) == {}
    assert missing(person(age=50, sex="male", record=record)) == {}


def test_a_result_older_than_allowed_is_listed_as_too_old() -> None:
    record = without(complete(), "haemoglobin")
    record["labs"].append({"code": "haemoglobin", "value": 8.0, "days_ago": 91})
    found = missing(person(age=60, record=record))
    assert set(found) == {"haemoglobin"}
    item = found["haemoglobin"]
    assert item.reason == "too_old"
    assert item.age_days == 91 and item.max_age_days == 90
    assert item.newest == AS_OF - timedelta(days=91)
    assert item.max_age_sourced is False


def test_a_result_exactly_at_the_limit_counts() -> None:
    record = without(complete(), "haemoglobin")
    record["labs"].append({"code": "haemoglobin", "value": 8.0, "days_ago": 90})
    assert missing(person(age=60, record=record)) == {}


def test_the_newest_result_decides() -> None:
    record = without(complete(), "crp")
    record["labs"] += [
        {"code": "crp", "value": 3, "days_ago": 400},
        {"code": "crp", "value": 4, "days_ago": 5},
    ]
    assert missing(person(age=60, record=record)) == {}


def test_either_creatinine_or_egfr_suffices() -> None:
    assert missing(person(age=60, record=without(complete(), "creatinine"))) == {}
    assert missing(person(age=60, record=without(complete(), "egfr"))) == {}
    both = missing(person(age=60, record=without(complete(), "creatinine", "egfr")))
    assert set(both) == {"creatinine_egfr"}
    assert both["creatinine_egfr"].codes == ("creatinine", "egfr")


def test_a_urine_dipstick_needs_every_part() -> None:
    found = missing(person(age=60, record=without(complete(), "urine_nitrite_dipstick")))
    assert set(found) == {"urine_dipstick"}
    assert found["urine_dipstick"].codes == ("urine_nitrite_dipstick",)
    assert found["urine_dipstick"].reason == "absent"


def test_imaging_is_a_finding_and_any_chest_imaging_counts() -> None:
    imaging = (
        "chest_xray_performed",
        "ct_thorax_abdomen_performed",
        "chest_xray_suggests_lung_cancer",
        "chest_xray_suggests_mesothelioma",
    )
    bare = without(complete(), *imaging)
    assert set(missing(person(age=60, record=bare))) == {"imaging_chest"}
    for code, days_ago, lacking in (
        ("ct_thorax_abdomen_performed", 30, set()),
        ("chest_xray_performed", 365, set()),
        ("chest_xray_performed", 366, {"imaging_chest"}),
    ):
        record = {**bare, "findings": [{"code": code, "days_ago": days_ago}]}
        assert set(missing(person(age=60, record=record))) == lacking
    old = missing(
        person(age=60, record={**bare, "findings": [{"code": imaging[0], "days_ago": 366}]})
    )
    assert old["imaging_chest"].reason == "too_old"
    assert old["imaging_chest"].max_age_sourced is True


def test_as_dict_is_json_ready() -> None:
    item = missing(person(age=60, sex="male"))["psa"]
    assert item.as_dict() == {
        "test_id": "psa",
        "label": {"da": "PSA (mænd over 50 år)", "en": "PSA (men over 50)"},
        "reason": "absent",
        "codes": ["psa"],
        "newest": None,
        "age_days": None,
        "max_age_days": 90,
        "max_age_sourced": False,
        "condition": {"sex": "male", "age_min": 51},
    }


def test_an_unknown_package_is_refused() -> None:
    with pytest.raises(KeyError, match="no-such-package"):
        missing_filter_tests(PatientContext.model_validate(person()), "no-such-package")


@settings(max_examples=40, deadline=None)
@given(
    drop=st.sets(
        st.sampled_from(
            sorted({c for t in load_filter_packages()[DEFAULT_PACKAGE].tests for c in t.codes})
        )
    )
)
def test_adding_a_recent_result_never_adds_a_missing_test(drop: set[str]) -> None:
    record = without(complete(), *drop)
    fewer = set(missing(person(age=60, sex="male", record=record)))
    more = set(missing(person(age=60, sex="male", record=complete())))
    assert more <= fewer


# -- malformed files -------------------------------------------------------------------------


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PACKAGES_FILE.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "packages.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def first_test(data: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = data["packages"][DEFAULT_PACKAGE]["tests"][0]
    return test


def test_the_shipped_file_round_trips(tmp_path: Path) -> None:
    assert set(load_filter_packages(write(tmp_path, shipped()))) == set(load_filter_packages())


def test_an_unknown_code_names_package_and_test(tmp_path: Path) -> None:
    data = shipped()
    first_test(data)["codes"] = ["haemoglobn"]
    with pytest.raises(
        FilterPackageError,
        match=r"package dpf-region-hovedstaden: test haemoglobin: codes: 'haemoglobn'",
    ):
        load_filter_packages(write(tmp_path, data))


def test_an_unsourced_age_limit_needs_a_note(tmp_path: Path) -> None:
    data = shipped()
    del first_test(data)["max_age_note"]
    with pytest.raises(FilterPackageError, match=r"tests\.0.*max_age_note"):
        load_filter_packages(write(tmp_path, data))


def test_an_age_limit_is_cited_or_marked_unsourced(tmp_path: Path) -> None:
    data = shipped()
    del first_test(data)["max_age_unsourced"]
    with pytest.raises(FilterPackageError, match="max_age_source"):
        load_filter_packages(write(tmp_path, data))


def test_an_unverified_package_needs_a_note(tmp_path: Path) -> None:
    data = shipped()
    del data["packages"][DEFAULT_PACKAGE]["provenance"]["note"]
    with pytest.raises(FilterPackageError, match="provenance"):
        load_filter_packages(write(tmp_path, data))


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    data = shipped()
    first_test(data)["max_age_weeks"] = 12
    with pytest.raises(FilterPackageError, match=r"tests\.0\.max_age_weeks"):
        load_filter_packages(write(tmp_path, data))


def test_a_condition_needs_content_and_order(tmp_path: Path) -> None:
    data = shipped()
    first_test(data)["condition"] = {"age_min": 60, "age_max": 50}
    with pytest.raises(FilterPackageError, match="age_min 60 is above age_max 50"):
        load_filter_packages(write(tmp_path, data))


def test_a_test_id_used_twice_is_refused(tmp_path: Path) -> None:
    data = shipped()
    tests = data["packages"][DEFAULT_PACKAGE]["tests"]
    tests.append(dict(tests[0]))
    with pytest.raises(FilterPackageError, match="used twice"):
        load_filter_packages(write(tmp_path, data))


def test_invalid_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "packages.yaml"
    path.write_text("packages: [\n", encoding="utf-8")
    with pytest.raises(FilterPackageError, match="not valid YAML"):
        load_filter_packages(path)
