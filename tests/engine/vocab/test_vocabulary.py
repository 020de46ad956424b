"""The shipped vocabulary: required codes, labels, uniqueness, codes and the lookup API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from opspor.engine.vocab import FILES, LANGUAGES, Lab, Vocabulary, load_vocabulary
from opspor.engine.vocab.model import (
    check_icpc2,
    check_loinc,
    check_npu,
    check_snomed_concept_id,
)

VOCAB_DIR = Path(__file__).parents[3] / "src" / "opspor" / "engine" / "vocab"

REQUIRED_SYMPTOMS = [
    "haemoptysis",
    "cough",
    "fatigue",
    "shortness_of_breath",
    "chest_pain",
    "weight_loss",
    "appetite_loss",
    "hoarseness",
    "finger_clubbing",
    "chest_infection",
    "breast_lump",
    "nipple_discharge",
    "nipple_retraction",
    "visible_haematuria",
    "non_visible_haematuria",
    "dysuria",
    "rectal_bleeding",
    "change_in_bowel_habit",
    "abdominal_pain",
    "dysphagia",
    "lymphadenopathy",
    "splenomegaly",
    "hepatosplenomegaly",
    "fever",
    "night_sweats",
    "pallor",
    "bruising",
    "bleeding",
    "petechiae",
    "recurrent_infection",
    "bone_pain",
    "malaise",
    "pruritus",
    "back_pain",
    "abdominal_distension",
    "early_satiety",
    "pelvic_pain",
    "urinary_urgency",
    "urinary_frequency",
    "erectile_dysfunction",
    "lower_urinary_tract_symptoms",
    "nausea",
    "vomiting",
    "upper_abdominal_pain",
    "reflux",
    "dyspepsia",
    "jaundice",
    "diarrhoea",
    "constipation",
    "skin_retraction",
    "axillary_lump",
    "abdominal_mass",
    "shoulder_pain",
    "supraclavicular_lymphadenopathy",
    "cervical_lymphadenopathy",
    "chest_signs_of_lung_cancer",
    "anaemia_symptoms",
    "enlarged_gall_bladder",
    "enlarged_liver",
    "post_menopausal_bleeding",
    "vaginal_discharge",
    "vulval_lump",
    "vulval_ulceration",
    "vulval_bleeding",
    "vaginal_mass",
    "penile_mass",
    "penile_ulceration",
    "foreskin_or_glans_symptoms",
    "pigmented_skin_lesion",
    "skin_lesion_change_in_size",
    "skin_lesion_irregular_shape",
    "skin_lesion_irregular_colour",
    "skin_lesion_diameter_7mm_or_more",
    "skin_lesion_inflammation",
    "skin_lesion_oozing",
    "skin_lesion_change_in_sensation",
    "skin_lesion_suggesting_nodular_melanoma",
    "skin_lesion_suspicious_of_scc",
    "skin_lesion_suspicious_of_bcc",
    "neck_lump",
    "oral_ulceration",
    "oral_lump",
    "oral_red_or_white_patch",
    "thyroid_lump",
    "progressive_neurological_deficit",
    "newly_abnormal_neurological_function",
    "bone_swelling",
    "lump_increasing_in_size",
    "enlarged_abdominal_organ",
    "absent_red_reflex",
    "parental_concern",
    "new_epileptic_seizure",
    "progressive_cognitive_or_personality_change",
    "headache",
    "squint",
]

REQUIRED_LABS = [
    "haemoglobin",
    "platelets",
    "leukocytes",
    "crp",
    "psa",
    "fit",
    "calcium",
    "alkaline_phosphatase",
    "alat",
    "creatinine",
    "albumin",
    "mcv",
    "sodium",
    "potassium",
    "egfr",
    "glucose",
    "hba1c",
    "bilirubin",
    "pancreatic_amylase",
    "ldh",
    "tsh",
    "ca125",
    "ferritin",
    "esr",
    "lymphocytes",
    "neutrophils",
]

REQUIRED_FINDINGS = [
    "chest_xray_suggests_lung_cancer",
    "thrombocytosis",
    "abnormal_ca125",
    "ultrasound_suggests_ovarian_cancer",
    "rectal_exam_abnormal_prostate",
    "cervix_appearance_consistent_with_cancer",
    "dermoscopy_suggests_melanoma",
    "xray_suggests_bone_sarcoma",
    "ultrasound_suggests_soft_tissue_sarcoma",
    "ultrasound_uncertain_for_soft_tissue_sarcoma",
    "deep_vein_thrombosis",
    "imaging_suggests_brain_tumour",
    "m_component",
    "abnormal_serum_free_light_chain_ratio",
    "mri_or_ct_suggests_sarcoma",
    "bence_jones_protein",
]

REQUIRED_EXPOSURES = [
    "asbestos",
    "firefighting_smoke",
    "diesel_exhaust",
    "crystalline_silica",
    "radon",
    "wood_dust",
    "benzene",
    "ionising_radiation",
]

ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        ("symptoms", REQUIRED_SYMPTOMS),
        ("labs", REQUIRED_LABS),
        ("findings", REQUIRED_FINDINGS),
        ("exposures", REQUIRED_EXPOSURES),
    ],
)
def test_required_codes_are_present_with_all_four_labels(
    vocab: Vocabulary, table: str, codes: list[str]
) -> None:
    entries = getattr(vocab, table)
    missing = [c for c in codes if c not in entries]
    assert not missing
    for code in codes:
        for lang in LANGUAGES:
            assert entries[code].label(lang).strip(), (code, lang)


def test_every_arabic_label_is_in_arabic_script_and_differs_from_english(vocab: Vocabulary) -> None:
    for code in vocab.codes():
        entry = vocab.lookup(code)
        assert ARABIC.search(entry.label("ar")), code
        assert entry.label("tr") and entry.label("da"), code


def test_codes_are_unique_across_the_four_files() -> None:
    seen: dict[str, str] = {}
    for name in FILES.values():
        raw = yaml.safe_load((VOCAB_DIR / name).read_text(encoding="utf-8"))
        for item in raw["entries"]:
            assert item["code"] not in seen, (item["code"], name, seen.get(item["code"]))
            seen[item["code"]] = name


def test_data_files_load_with_plain_pyyaml_safe_load() -> None:
    for name in FILES.values():
        assert isinstance(yaml.safe_load((VOCAB_DIR / name).read_text(encoding="utf-8")), dict)


def test_every_file_states_that_translations_are_unreviewed() -> None:
    for name in FILES.values():
        raw = yaml.safe_load((VOCAB_DIR / name).read_text(encoding="utf-8"))
        assert "not yet been reviewed" in raw["translation_review"].replace("NOT", "not")


def test_every_code_in_the_data_passes_its_format_and_check_digit(vocab: Vocabulary) -> None:
    for code in vocab.codes():
        entry = vocab.lookup(code)
        for m in entry.icpc2:
            check_icpc2(m.code)
        for s in entry.snomed_ct:
            check_snomed_concept_id(s.code)
        if isinstance(entry, Lab):
            for n in entry.npu:
                check_npu(n.code)
            for lc in entry.loinc:
                check_loinc(lc.code)


def test_every_mapping_is_either_sourced_or_marked_unverified_with_a_note(
    vocab: Vocabulary,
) -> None:
    for code in vocab.codes():
        entry = vocab.lookup(code)
        mappings = [*entry.icpc2, *entry.snomed_ct]
        if isinstance(entry, Lab):
            mappings += [*entry.npu, *entry.loinc, *entry.reference_intervals]
        for m in mappings:
            assert (m.verified and m.source) or (not m.verified and m.note), (code, m)


def test_verified_sources_resolve_to_a_citation_with_a_title(vocab: Vocabulary) -> None:
    for kind, table in vocab.sources.items():
        for key, source in table.items():
            assert source.title, (kind, key)


def test_known_icpc2_mappings() -> None:
    v = load_vocabulary()
    expected = {
        "haemoptysis": "R24",
        "cough": "R05",
        "fatigue": "A04",
        "weight_loss": "T08",
        "shortness_of_breath": "R02",
        "appetite_loss": "T03",
        "rectal_bleeding": "D16",
        "dysphagia": "D21",
        "visible_haematuria": "U06",
        "post_menopausal_bleeding": "X12",
        "vaginal_discharge": "X14",
        "enlarged_liver": "D23",
        "headache": "N01",
    }
    for code, icpc in expected.items():
        assert icpc in [m.code for m in v.symptoms[code].icpc2 if m.exact], code


def test_label_lookup_and_english_fallback(vocab: Vocabulary) -> None:
    assert vocab.symptoms["cough"].label("da") == "Hoste"
    assert vocab.symptoms["cough"].label("en") == "Cough"
    assert vocab.symptoms["cough"].label("fr") == "Cough"
    assert vocab.symptoms["cough"].label() == "Cough"


def test_danish_lab_units(vocab: Vocabulary) -> None:
    assert vocab.labs["haemoglobin"].unit == "mmol/L"
    assert vocab.labs["platelets"].unit == "10^9/L"
    assert vocab.labs["crp"].unit == "mg/L"
    assert vocab.labs["calcium"].unit == "mmol/L"
    assert vocab.labs["haemoglobin"].npu[0].code == "NPU02319"


def test_reference_interval_depends_on_sex_and_age(vocab: Vocabulary) -> None:
    hb = vocab.labs["haemoglobin"]
    assert hb.reference_interval(sex="female", age=54) == (7.3, 9.5)
    assert hb.reference_interval(sex="male", age=54) == (8.3, 10.5)
    albumin = vocab.labs["albumin"]
    assert albumin.reference_interval(sex="female", age=39.9) == (36, 48)
    assert albumin.reference_interval(sex="female", age=40) == (36, 45)
    assert albumin.reference_interval(sex="male", age=85) == (34, 45)
    crp = vocab.labs["crp"]
    assert crp.reference_interval(sex="male", age=30) == (None, 10)


def test_a_missing_interval_is_reported_as_unknown_not_as_normal(vocab: Vocabulary) -> None:
    assert vocab.labs["haemoglobin"].reference_interval(sex="female", age=10) == (None, None)
    assert vocab.labs["haemoglobin"].reference_interval(sex=None, age=54) == (None, None)
    assert vocab.labs["psa"].reference_interval(sex="female", age=60) == (None, None)
    assert vocab.labs["fit"].reference_interval(sex="male", age=60) == (None, None)


def test_lookup_and_is_known_cover_every_kind(vocab: Vocabulary) -> None:
    assert vocab.lookup("cough").kind == "symptom"
    assert vocab.lookup("haemoglobin").kind == "lab"
    assert vocab.lookup("chest_xray_suggests_lung_cancer").kind == "finding"
    assert vocab.lookup("firefighting_smoke").kind == "exposure"
    assert vocab.is_known("cough")
    assert "cough" in vocab
    assert not vocab.is_known("not_a_code")
    with pytest.raises(KeyError):
        vocab.lookup("not_a_code")


def test_lab_interpretations_point_at_known_labs(vocab: Vocabulary) -> None:
    for finding in vocab.findings.values():
        if finding.category == "lab_interpretation":
            assert finding.derived_from is not None
            assert finding.derived_from.lab in vocab.labs


def test_exposures_carry_an_iarc_group(vocab: Vocabulary) -> None:
    assert vocab.exposures["firefighting_smoke"].iarc is not None
    assert vocab.exposures["firefighting_smoke"].iarc.group == "1"
    assert "mesothelioma" in vocab.exposures["asbestos"].cancer_sites


def test_default_load_is_cached() -> None:
    assert load_vocabulary() is load_vocabulary()


def test_the_tables_are_read_only(vocab: Vocabulary) -> None:
    with pytest.raises(TypeError):
        vocab.symptoms["new"] = vocab.symptoms["cough"]  # type: ignore[index]


def test_engine_code_does_not_import_django() -> None:
    engine = VOCAB_DIR.parent
    for path in engine.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "django" for n in names), path
