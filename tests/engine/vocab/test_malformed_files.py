"""A malformed data file is refused with a message naming the file, the entry and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from opspor.engine.vocab import FILES, VocabularyError, load_vocabulary
from opspor.engine.vocab.model import verhoeff_check_digit

VOCAB_DIR = Path(__file__).parents[3] / "src" / "opspor" / "engine" / "vocab"

Doc = dict[str, Any]

# Partition "01" marks a description id: well-formed and check-digit valid, but not a concept.
_DESCRIPTION_ID = "4972701" + str(verhoeff_check_digit("4972701"))


@pytest.fixture
def vocab_dir(tmp_path: Path) -> Path:
    for name in FILES.values():
        shutil.copy(VOCAB_DIR / name, tmp_path / name)
    return tmp_path


def _edit(directory: Path, name: str, change: Callable[[Doc], None]) -> None:
    path = directory / name
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _entry(doc: Doc, code: str) -> Doc:
    return next(e for e in doc["entries"] if e["code"] == code)


def _refused(directory: Path, *fragments: str) -> str:
    with pytest.raises(VocabularyError) as info:
        load_vocabulary(path=directory)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_copied_files_load(vocab_dir: Path) -> None:
    assert load_vocabulary(path=vocab_dir).symptoms["cough"].label("da") == "Hoste"


def test_bad_yaml_names_the_file(vocab_dir: Path) -> None:
    (vocab_dir / "symptoms.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    _refused(vocab_dir, "symptoms.yaml", "YAML")


def test_a_missing_file_is_named(vocab_dir: Path) -> None:
    (vocab_dir / "exposures.yaml").unlink()
    _refused(vocab_dir, "exposures.yaml", "missing")


def test_a_missing_label_language(vocab_dir: Path) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough")["labels"].pop("tr"))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "labels.tr")


def test_an_arabic_label_not_in_arabic_script(vocab_dir: Path) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough")["labels"].update(ar="Cough"))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "labels.ar", "Arabic script")


def test_a_duplicate_code_in_one_file(vocab_dir: Path) -> None:
    def duplicate(doc: Doc) -> None:
        doc["entries"].append(dict(_entry(doc, "fever")))

    _edit(vocab_dir, "symptoms.yaml", duplicate)
    _refused(vocab_dir, "symptoms.yaml", "'fever'", "'code'", "duplicate")


def test_a_code_defined_in_two_files(vocab_dir: Path) -> None:
    def steal(doc: Doc) -> None:
        entry = dict(_entry(doc, "thrombocytosis"))
        entry["code"] = "cough"
        doc["entries"].append(entry)

    _edit(vocab_dir, "findings.yaml", steal)
    _refused(vocab_dir, "findings.yaml", "'cough'", "'code'", "symptoms.yaml")


def test_a_duplicate_yaml_key_is_refused(vocab_dir: Path) -> None:
    path = vocab_dir / "exposures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("kind: exposure\n", "kind: exposure\nkind: exposure\n", 1), "utf-8"
    )
    _refused(vocab_dir, "exposures.yaml", "duplicate key")


@pytest.mark.parametrize("bad", ["Cough", "cough-bad", "2cough", "cough__x", "cough_", "hoste ø"])
def test_a_code_that_is_not_snake_case(vocab_dir: Path, bad: str) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough").update(code=bad))
    _refused(vocab_dir, "symptoms.yaml", repr(bad), "'code'", "snake_case")


@pytest.mark.parametrize("bad", ["R5", "r05", "Q05", "R055", "R-5"])
def test_a_bad_icpc2_code(vocab_dir: Path, bad: str) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough")["icpc2"][0].update(code=bad))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "icpc2.0.code", "ICPC-2")


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("49727003", "Verhoeff"),  # cough with its last digit changed
        ("49727002x", "digits"),
        ("0049727002", "digits"),
        ("12345", "digits"),
        (_DESCRIPTION_ID, "partition"),
    ],
)
def test_a_bad_snomed_id(vocab_dir: Path, bad: str, why: str) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough")["snomed_ct"][0].update(code=bad))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "snomed_ct.0.code", why)


@pytest.mark.parametrize("bad", ["NPU2319", "NPU023190", "npu02319", "XYZ02319", "DNK3530"])
def test_a_bad_npu_code(vocab_dir: Path, bad: str) -> None:
    _edit(vocab_dir, "labs.yaml", lambda d: _entry(d, "haemoglobin")["npu"][0].update(code=bad))
    _refused(vocab_dir, "labs.yaml", "'haemoglobin'", "npu.0.code", "NPU")


@pytest.mark.parametrize(("bad", "why"), [("59260-1", "check digit"), ("59260", "dash")])
def test_a_bad_loinc_code(vocab_dir: Path, bad: str, why: str) -> None:
    _edit(vocab_dir, "labs.yaml", lambda d: _entry(d, "haemoglobin")["loinc"][0].update(code=bad))
    _refused(vocab_dir, "labs.yaml", "'haemoglobin'", "loinc.0.code", why)


def test_a_verified_mapping_without_source(vocab_dir: Path) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough")["icpc2"][0].pop("source"))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "icpc2.0", "source")


def test_an_unverified_mapping_without_a_note(vocab_dir: Path) -> None:
    def strip(doc: Doc) -> None:
        mapping = _entry(doc, "cough")["icpc2"][0]
        mapping.pop("source")
        mapping["verified"] = False

    _edit(vocab_dir, "symptoms.yaml", strip)
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "icpc2.0", "note")


def test_an_unknown_source_key(vocab_dir: Path) -> None:
    _edit(
        vocab_dir,
        "symptoms.yaml",
        lambda d: _entry(d, "cough")["icpc2"][0].update(source="nowhere"),
    )
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "icpc2.0.source", "nowhere")


def test_an_inverted_reference_interval(vocab_dir: Path) -> None:
    _edit(
        vocab_dir,
        "labs.yaml",
        lambda d: _entry(d, "haemoglobin")["reference_intervals"][0].update(low=12.0),
    )
    _refused(vocab_dir, "labs.yaml", "'haemoglobin'", "reference_intervals.0")


def test_overlapping_age_bands(vocab_dir: Path) -> None:
    _edit(
        vocab_dir,
        "labs.yaml",
        lambda d: _entry(d, "albumin")["reference_intervals"][1].update(age_min=30),
    )
    _refused(vocab_dir, "labs.yaml", "'albumin'", "overlap")


def test_a_lab_interpretation_reading_an_unknown_lab(vocab_dir: Path) -> None:
    _edit(
        vocab_dir,
        "findings.yaml",
        lambda d: _entry(d, "thrombocytosis")["derived_from"].update(lab="platelet_count"),
    )
    _refused(vocab_dir, "findings.yaml", "'thrombocytosis'", "derived_from.lab")


def test_a_misspelt_field_is_refused(vocab_dir: Path) -> None:
    _edit(vocab_dir, "symptoms.yaml", lambda d: _entry(d, "cough").update(snomed=["49727002"]))
    _refused(vocab_dir, "symptoms.yaml", "'cough'", "snomed")


def test_a_file_of_the_wrong_kind(vocab_dir: Path) -> None:
    _edit(vocab_dir, "labs.yaml", lambda d: d.update(kind="symptom"))
    _refused(vocab_dir, "labs.yaml", "'kind'")


def test_a_file_without_translation_review_statement(vocab_dir: Path) -> None:
    _edit(vocab_dir, "findings.yaml", lambda d: d.pop("translation_review"))
    _refused(vocab_dir, "findings.yaml", "translation_review")
