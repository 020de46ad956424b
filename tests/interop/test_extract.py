"""The synthetic FHIR Bulk Data extract (`opspor.interop.extract`, `opspor fhir-extract`) and
the Synthea-style fixture: valid FHIR R4, deterministic, references that resolve, CPR numbers
that agree with the patient, flat memory."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B import get_fhir_model_class

from opspor.demo.seed_practices import provider_number
from opspor.interop import codings as cs
from opspor.interop import reading
from opspor.interop.extract import (
    RECORD_NUMBER,
    RESOURCE_TYPES,
    ExtractError,
    practice_number,
    write_extract,
)
from opspor.records import cpr

DATA = Path(__file__).parent / "data"


def lines(folder: Path, kind: str) -> Iterator[dict[str, Any]]:
    with open(folder / f"{kind}.ndjson", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def everything(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in RESOURCE_TYPES:
        for resource in lines(folder, kind):
            yield kind, resource


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "fhir"
    summary = write_extract(out, 2_000, seed=7, practices=2)
    assert summary.resources == 2_000
    return out


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("larger") / "fhir"
    write_extract(out, 20_000, seed=5, practices=3)
    return out


def test_every_line_of_every_file_is_valid_fhir_r4(extract: Path) -> None:
    seen = 0
    for kind, resource in everything(extract):
        get_fhir_model_class(kind).model_validate(resource)
        seen += 1
    assert seen == 2_000


def test_one_resource_type_per_file_and_exactly_the_size_asked_for(extract: Path) -> None:
    assert sorted(p.name for p in extract.iterdir()) == sorted(
        f"{t}.ndjson" for t in RESOURCE_TYPES
    )
    counts = Counter()
    for kind, resource in everything(extract):
        assert resource["resourceType"] == kind
        counts[kind] += 1
    assert sum(counts.values()) == 2_000
    ids = [r["id"] for _, r in everything(extract)]
    assert len(set(ids)) == len(ids)


def test_most_resources_are_observations_and_encounters(larger: Path) -> None:
    counts = Counter(kind for kind, _ in everything(larger))
    assert counts["Observation"] > counts["Encounter"] > counts["Condition"]
    assert (counts["Observation"] + counts["Encounter"]) / 20_000 > 0.85
    for kind in RESOURCE_TYPES:
        assert counts[kind] > 0, kind


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(tmp_path: Path) -> None:
    a = write_extract(tmp_path / "a", 1_500, seed=3, practices=2)
    b = write_extract(tmp_path / "b", 1_500, seed=3, practices=2)
    c = write_extract(tmp_path / "c", 1_500, seed=4, practices=2)
    assert a.counts == b.counts
    for kind in RESOURCE_TYPES:
        name = f"{kind}.ndjson"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "Patient.ndjson").read_bytes() != (
        tmp_path / "c" / "Patient.ndjson"
    ).read_bytes()
    assert c.resources == 1_500


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_every_reference_points_to_a_resource_in_the_extract(larger: Path) -> None:
    present = {f"{kind}/{r['id']}" for kind, r in everything(larger)}
    checked = 0
    for _, resource in everything(larger):
        for ref in _references(resource):
            assert ref in present, ref
            checked += 1
    assert checked > 20_000


def test_cpr_numbers_are_valid_unique_and_agree_with_birth_date_and_sex(larger: Path) -> None:
    numbers = []
    without = 0
    for patient in lines(larger, "Patient"):
        systems = {i["system"]: i["value"] for i in patient["identifier"]}
        if cs.CPR not in systems:
            assert set(systems) == {RECORD_NUMBER}
            without += 1
            continue
        digits = systems[cs.CPR]
        assert cpr.normalise(digits) == digits
        assert cpr.birth_date(digits) == date.fromisoformat(patient["birthDate"])
        assert cpr.sex(digits) == patient["gender"]
        numbers.append(digits)
    assert len(numbers) == len(set(numbers)) > 100
    assert 0 < without < len(numbers) / 5


def test_the_readers_find_labs_symptoms_smoking_and_leave_vital_signs(larger: Path) -> None:
    kinds: Counter[str] = Counter()
    for observation in lines(larger, "Observation"):
        item = reading.read_observation(observation)
        codes = {c["code"] for c in observation["code"]["coding"]}
        if item is None:
            # Only the vital signs are unmapped: the vocabulary has no place for them.
            assert codes <= {"85354-9", "29463-7", "8867-4"}, codes
            kinds["unmapped"] += 1
            continue
        kinds[type(item).__name__] += 1
        if isinstance(item, reading.LabItem):
            assert item.unit and item.value > 0
            # A range wherever the vocabulary has an interval (PSA past 80 has none).
            ranged = item.reference_low is not None or item.reference_high is not None
            kinds["ranged"] += ranged
    assert kinds["LabItem"] > kinds["SymptomItem"] > 0
    assert kinds["ranged"] > 0.95 * kinds["LabItem"]
    assert kinds["SmokingItem"] > 0 and kinds["unmapped"] > 0
    contact_kinds = Counter(reading.read_encounter(e).kind for e in lines(larger, "Encounter"))  # type: ignore[union-attr]
    assert set(contact_kinds) == {"consultation", "phone", "home_visit"}
    systems = Counter(reading.read_condition(c).system for c in lines(larger, "Condition"))
    assert systems["icd10"] > 0 and systems["icpc2"] > 0
    medicines = [reading.read_medication(m) for m in lines(larger, "MedicationRequest")]
    assert any(m is not None and m.atc == "" for m in medicines)  # RxNorm only
    assert all(
        m is not None and m.atc
        for m in map(reading.read_medication, lines(larger, "MedicationStatement"))
    )
    family = [
        item
        for f in lines(larger, "FamilyMemberHistory")
        for item in reading.read_family_history(f)
    ]
    assert family


def test_practices_carry_the_ydernummer_that_opspor_seed_gives(extract: Path) -> None:
    numbers = [
        i["value"]
        for org in lines(extract, "Organization")
        for i in org["identifier"]
        if i["system"] == cs.YDERNUMMER
    ]
    assert numbers == [practice_number(1), practice_number(2)]
    assert all(practice_number(i) == provider_number(i) for i in range(1, 700))


def test_one_ydernummer_puts_everyone_in_one_practice(tmp_path: Path) -> None:
    summary = write_extract(tmp_path / "x", 800, seed=1, ydernummer="123456")
    assert summary.practice_numbers == ("123456",)
    [org] = list(lines(tmp_path / "x", "Organization"))
    assert org["identifier"] == [{"system": cs.YDERNUMMER, "value": "123456"}]
    for patient in lines(tmp_path / "x", "Patient"):
        assert patient["generalPractitioner"][0] == {"reference": f"Organization/{org['id']}"}


def test_memory_stays_flat_while_a_50k_extract_is_written(tmp_path: Path) -> None:
    # Resources are written as they are made, so the peak of Python allocations while
    # writing is one patient's resources, the file buffers and the bounded caches
    # (CPR serials per birth day and sex, reference intervals per lab, sex and age): about
    # 1.4 MB here whether the extract has 5,000 or 50,000 resources. Built in memory, the
    # 50,000 resources would take well over 50 MB. The caches are warmed first.
    write_extract(tmp_path / "warm", 300, seed=3)
    peaks = {}
    for size in (5_000, 50_000):
        tracemalloc.start()
        try:
            write_extract(tmp_path / f"x{size}", size, seed=3)
            peaks[size] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[50_000] < 4 * 2**20
    assert peaks[50_000] < peaks[5_000] + 2**20
    # A few patients of the larger extract have a malignant neoplasm (ICD-10 C00-C97).
    cancers = [
        c
        for c in lines(tmp_path / "x50000", "Condition")
        if reading.read_condition(c).cancer_site is not None
    ]
    assert 0 < len(cancers) < 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resources": 0}, "resources must be between 1 and"),
        ({"resources": 5, "practices": 3}, "ask for at least"),
        ({"resources": 500, "practices": 0}, "practices must be between 1 and"),
        ({"resources": 500, "practices": 2, "ydernummer": "123456"}, "not both"),
        ({"resources": 500, "ydernummer": "12ab"}, "a ydernummer is 1 to 10 digits"),
        ({"resources": 500, "as_of": date(1900, 1, 1)}, "as-of must be between"),
        ({"resources": 500, "seed": -1}, "seed must be 0 or more"),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_written(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExtractError, match=message):
        write_extract(tmp_path / "out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(ExtractError, match="is not a directory"):
        write_extract(tmp_path / "out", 500)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_other_files_in_the_folder_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("kept")
    write_extract(out, 300, seed=1)
    assert (out / "notes.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_the_command_writes_an_extract_and_names_its_practices(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "fhir-extract",
        "--out",
        str(tmp_path / "x"),
        "--resources",
        "1_000",
        "--seed",
        "2",
        "--practices",
        "2",
        stdout=out,
    )
    assert "1,000 resources (Organization 2, " in out.getvalue()
    assert "practices (ydernummer): 900001, 900002" in out.getvalue()
    assert sum(1 for _ in everything(tmp_path / "x")) == 1_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resources", "lots"], "--resources must be a whole number"),
        (["--resources", "10", "--practices", "5"], "ask for at least"),
        (["--resources", "100", "--as-of", "2025-13-01"], "--as-of must be a date"),
    ],
)
def test_the_command_refuses_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("fhir-extract", "--out", str(tmp_path / "x"), *args, stdout=StringIO())
    assert not (tmp_path / "x").exists()


# --- the Synthea-style fixture ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return json.loads((DATA / "synthea-style-bundle.json").read_text(encoding="utf-8"))


def test_the_synthea_style_bundle_and_every_resource_in_it_validate(bundle: dict[str, Any]) -> None:
    get_fhir_model_class("Bundle").model_validate(bundle)
    kinds = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        kinds.add(resource["resourceType"])
    assert {
        "Patient",
        "Encounter",
        "Condition",
        "Observation",
        "Claim",
        "ExplanationOfBenefit",
        "Immunization",
        "CarePlan",
        "Procedure",
        "DiagnosticReport",
        "MedicationRequest",
        "AllergyIntolerance",
        "Organization",
        "Practitioner",
    } <= kinds


def test_the_synthea_style_bundle_refers_by_urn_uuid_and_has_no_cpr(bundle: dict[str, Any]) -> None:
    assert bundle["type"] == "transaction"
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(u.startswith("urn:uuid:") for u in full_urls)
    for entry in bundle["entry"]:
        for ref in _references(entry["resource"]):
            assert ref in full_urls or ref.startswith("#"), ref
    [patient] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    item = reading.read_patient(patient)
    assert item.cpr is None
    assert ("http://hl7.org/fhir/sid/us-ssn", "999-31-4159") in item.identifiers
    classes = {
        e["resource"]["class"]["code"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Encounter"
    }
    assert classes == {"AMB", "EMER", "IMP"}
