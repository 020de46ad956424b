"""The PPV table: only published bands, the highest value per site, never an explained symptom."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.context import PatientContext
from opspor.engine.ppv import (
    PPV_FILE,
    PpvError,
    PpvTable,
    load_ppv_table,
    parse_ppv_table,
    ppv_findings,
)
from opspor.engine.vocab import load_vocabulary

AS_OF = date(2025, 3, 1)


def born_aged(age: int) -> str:
    return date(AS_OF.year - age, 1, 1).isoformat()


def context(
    age: int, sex: str, *symptoms: str, explained: tuple[str, ...] = (), **extra: Any
) -> PatientContext:
    data: dict[str, Any] = {
        "as_of": AS_OF.isoformat(),
        "patient": {"birth_date": born_aged(age), "sex": sex},
        "symptoms": [{"code": c, "onset": "2025-02-01"} for c in symptoms]
        + [{"code": c, "onset": "2025-02-01", "unexplained": False} for c in explained],
        **extra,
    }
    return PatientContext.model_validate(data)


def raw_table() -> dict[str, Any]:
    return yaml.safe_load(PPV_FILE.read_text(encoding="utf-8"))


def small_table(rows: list[dict[str, Any]]) -> PpvTable:
    raw = raw_table()
    raw["rows"] = rows
    return parse_ppv_table(raw, file="test.yaml", vocab=load_vocabulary())


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "r",
        "cancer_site": "colorectal",
        "features": ["rectal_bleeding"],
        "sex": None,
        "age_band": "≥40",
        "age_min": 40,
        "age_max": None,
        "ppv_percent": 2.0,
        "outcome": "colorectal cancer",
        "source": "hamilton2005-colorectal",
        "location": "Table 2",
    }
    base.update(fields)
    return base


# --- the packaged data ---------------------------------------------------------------------


def test_packaged_table_loads_and_every_row_cites_a_year_and_a_place() -> None:
    table = load_ppv_table()
    assert len(table.rows) >= 20
    for r in table.rows:
        src = table.sources[r.source]
        assert 1950 <= src.year <= AS_OF.year
        assert r.location.strip()
        assert src.title and src.authors and src.doi_or_url and src.read_at
        assert 0 <= r.ppv_percent <= 100


def test_packaged_rows_use_known_vocabulary_codes() -> None:
    vocab = load_vocabulary()
    for r in load_ppv_table().rows:
        for code in r.features:
            assert code in vocab.symptoms or code in vocab.findings


# The rows added for the sites beyond the first set: each must be in the packaged table, with
# a complete citation, so that a lost row or a half-filled source fails here.
ADDED_ROWS = {
    "oesophageal-jones2007-dysphagia-male-55-64": ("oesophageal", 6.0),
    "oesophageal-jones2007-dysphagia-male-65-74": ("oesophageal", 9.0),
    "oesophageal-jones2007-dysphagia-male-75-84": ("oesophageal", 7.1),
    "oesophageal-jones2007-dysphagia-male-85": ("oesophageal", 9.7),
    "prostate-hamilton2006-urinary-retention": ("prostate", 3.1),
    "prostate-hamilton2006-impotence": ("prostate", 3.0),
    "prostate-hamilton2006-hesitancy": ("prostate", 3.0),
    "prostate-hamilton2006-frequency": ("prostate", 2.2),
    "prostate-hamilton2006-nocturia": ("prostate", 2.2),
    "prostate-hamilton2006-weight-loss": ("prostate", 0.75),
    "prostate-hamilton2006-rectal-exam-malignant": ("prostate", 12),
    "brain-hamilton2007-seizure-60-69": ("brain_cns", 2.3),
    "brain-hamilton2007-headache-60-69": ("brain_cns", 0.13),
    "laryngeal-shephard2019-hoarseness-over-60": ("laryngeal", 2.7),
    "uterine-2013-post-menopausal-bleeding": ("uterine", 4),
    "cervical-walker2017-post-menopausal-bleeding-55": ("cervical", 4.6),
    "lymphoma-shephard2015-nhl-lymphadenopathy-60": ("lymphoma", 13),
    "lymphoma-shephard2015-hodgkin-lymphadenopathy-60": ("lymphoma", 5.6),
    "childhood-dommett2013-pallor": ("childhood_cancer", 0.41),
    "childhood-dommett2013-lymphadenopathy": ("childhood_cancer", 0.09),
    "childhood-dommett2013-bruising": ("childhood_cancer", 0.08),
}


@pytest.mark.parametrize(("row_id", "expected"), sorted(ADDED_ROWS.items()))
def test_added_row_is_loaded_with_its_value_and_a_complete_citation(
    row_id: str, expected: tuple[str, float]
) -> None:
    table = load_ppv_table()
    by_id = {r.id: r for r in table.rows}
    assert row_id in by_id
    r = by_id[row_id]
    assert (r.cancer_site, r.ppv_percent) == expected
    src = table.sources[r.source]
    for field in ("title", "authors", "journal", "doi_or_url", "read_at", "population"):
        assert getattr(src, field).strip(), field
    assert src.doi_or_url.startswith("https://")
    assert r.location.strip() and r.outcome.strip() and r.age_band.strip()


def test_a_value_read_second_hand_is_flagged_and_says_where() -> None:
    table = load_ppv_table()
    flagged = [r for r in table.rows if r.secondary or table.sources[r.source].secondary]
    assert flagged
    for r in flagged:
        # Either the source itself is the review, or the row says which secondary source it used.
        assert table.sources[r.source].secondary or (r.note and r.note.strip()), r.id


def test_prostate_and_larynx_rows_are_marked_secondary() -> None:
    by_id = {r.id: r for r in load_ppv_table().rows}
    for row_id in ADDED_ROWS:
        if row_id.startswith(("prostate-", "laryngeal-", "oesophageal-jones2007-dysphagia-male-")):
            assert by_id[row_id].secondary, row_id


def findings(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "date": "2025-02-15"} for c in codes]


def by_site(ctx: PatientContext) -> dict[str, float]:
    return {m.cancer_site: m.ppv_percent for m in ppv_findings(ctx, max_sites=99)}


def test_new_onset_seizure_gives_the_brain_value_only_at_60_to_69() -> None:
    m = ppv_findings(context(64, "female", "new_epileptic_seizure"))[0]
    assert (m.cancer_site, m.ppv_percent, m.age_band) == ("brain_cns", 2.3, "60–69")
    assert "Kernick" in m.source.authors
    assert "brain_cns" not in by_site(context(70, "female", "new_epileptic_seizure"))
    assert "brain_cns" not in by_site(context(59, "male", "new_epileptic_seizure"))


def test_hoarseness_is_over_60_read_strictly_and_shown_as_secondary() -> None:
    assert "laryngeal" not in by_site(context(60, "male", "hoarseness"))
    m = ppv_findings(context(61, "male", "hoarseness"))[0]
    assert (m.cancer_site, m.ppv_percent) == ("laryngeal", 2.7)
    assert m.source.secondary is True


def test_post_menopausal_bleeding_uterine_from_40_cervical_from_55_women_only() -> None:
    assert by_site(context(50, "female", "post_menopausal_bleeding")) == {"uterine": 4}
    assert by_site(context(55, "female", "post_menopausal_bleeding")) == {
        "uterine": 4,
        "cervical": 4.6,
    }
    assert by_site(context(39, "female", "post_menopausal_bleeding")) == {}
    assert by_site(context(60, "male", "post_menopausal_bleeding")) == {}


def test_lymphadenopathy_over_60_reports_the_higher_lymphoma_value() -> None:
    m = ppv_findings(context(72, "male", "lymphadenopathy"))[0]
    assert (m.cancer_site, m.ppv_percent, m.row_id) == (
        "lymphoma",
        13,
        "lymphoma-shephard2015-nhl-lymphadenopathy-60",
    )
    assert "non-Hodgkin" in m.outcome
    assert by_site(context(59, "male", "lymphadenopathy")) == {}


def test_childhood_values_apply_from_0_to_14_only() -> None:
    assert by_site(context(0, "male", "bruising")) == {"childhood_cancer": 0.08}
    assert by_site(context(9, "female", "pallor", "lymphadenopathy")) == {"childhood_cancer": 0.41}
    assert by_site(context(14, "female", "lymphadenopathy")) == {"childhood_cancer": 0.09}
    assert by_site(context(15, "female", "pallor", "lymphadenopathy", "bruising")) == {}


def test_dysphagia_in_a_man_gets_his_age_band_value_and_a_woman_keeps_hers() -> None:
    assert by_site(context(70, "male", "dysphagia"))["oesophageal"] == 9.0
    assert by_site(context(80, "male", "dysphagia"))["oesophageal"] == 7.1
    assert by_site(context(90, "male", "dysphagia"))["oesophageal"] == 9.7
    assert by_site(context(50, "male", "dysphagia"))["oesophageal"] == 5.7
    assert by_site(context(70, "female", "dysphagia"))["oesophageal"] == 2.4


def test_malignant_feeling_prostate_gives_the_highest_prostate_value() -> None:
    ctx = context(68, "male", "nocturia", findings=findings("rectal_exam_abnormal_prostate"))
    m = ppv_findings(ctx)[0]
    assert (m.cancer_site, m.ppv_percent) == ("prostate", 12)
    assert m.source.secondary is True
    assert by_site(context(68, "male", "nocturia")) == {"prostate": 2.2}
    assert by_site(context(39, "male", "nocturia", "urinary_retention")) == {}
    assert "prostate" not in by_site(context(68, "female", "urinary_frequency"))


# --- age bands and sex exactly as published ------------------------------------------------


def test_39_year_old_gets_nothing_from_a_40_and_over_row() -> None:
    table = small_table([row(age_band="≥40", age_min=40)])
    assert ppv_findings(context(39, "male", "rectal_bleeding"), table=table) == []
    assert ppv_findings(context(40, "male", "rectal_bleeding"), table=table)[0].ppv_percent == 2.0


def test_65_year_old_man_gets_the_male_60_69_row_not_the_female_one() -> None:
    matches = ppv_findings(context(65, "male", "change_in_bowel_habit"))
    assert len(matches) == 1
    m = matches[0]
    assert (m.cancer_site, m.sex, m.age_band, m.ppv_percent) == (
        "colorectal",
        "male",
        "60–69",
        6.89,
    )
    woman = ppv_findings(context(65, "female", "change_in_bowel_habit"))[0]
    assert (woman.sex, woman.ppv_percent) == ("female", 2.42)


def test_upper_bound_of_a_closed_band_is_inclusive_and_nothing_beyond_it() -> None:
    assert ppv_findings(context(69, "male", "change_in_bowel_habit"))[0].ppv_percent == 6.89
    assert ppv_findings(context(70, "male", "change_in_bowel_habit")) == []
    assert ppv_findings(context(59, "male", "change_in_bowel_habit")) == []


def test_over_40_is_read_strictly() -> None:
    assert ppv_findings(context(40, "female", "abdominal_distension")) == []
    assert ppv_findings(context(41, "female", "abdominal_distension"))[0].cancer_site == "ovarian"


def test_sex_specific_row_never_applies_to_the_other_sex() -> None:
    assert ppv_findings(context(55, "male", "abdominal_distension")) == []
    assert ppv_findings(context(45, "male", "breast_lump")) == []


# --- which value is reported ---------------------------------------------------------------


def test_highest_value_per_site_wins() -> None:
    table = small_table(
        [
            row(id="low", ppv_percent=1.0),
            row(id="high", ppv_percent=5.0, features=["change_in_bowel_habit"]),
            row(id="pair", ppv_percent=3.0, features=["rectal_bleeding", "weight_loss"]),
        ]
    )
    found = ppv_findings(
        context(60, "male", "rectal_bleeding", "change_in_bowel_habit", "weight_loss"),
        table=table,
    )
    assert [m.row_id for m in found] == ["high"]


def test_a_pair_needs_both_features() -> None:
    table = small_table([row(id="pair", features=["rectal_bleeding", "weight_loss"])])
    assert ppv_findings(context(60, "male", "rectal_bleeding"), table=table) == []
    found = ppv_findings(context(60, "male", "rectal_bleeding", "weight_loss"), table=table)
    assert found[0].symptoms == ("rectal_bleeding", "weight_loss")


def test_at_most_a_few_sites_highest_first() -> None:
    found = ppv_findings(
        context(
            72,
            "male",
            "rectal_bleeding",
            "haemoptysis",
            "dysphagia",
            "jaundice",
            "visible_haematuria",
        )
    )
    assert len(found) == 3
    values = [m.ppv_percent for m in found]
    assert values == sorted(values, reverse=True)
    assert found[0].cancer_site == "pancreatic"  # jaundice at 60 or over: 22 %


def test_match_carries_its_citation() -> None:
    m = ppv_findings(context(72, "female", "jaundice"))[0]
    assert m.source.year == 2012
    assert m.source.table == "Abstract (Results)"
    assert "Stapley" in m.source.authors
    assert m.age_band == "≥60"


# --- explained symptoms and derived findings -----------------------------------------------


def test_explained_symptom_gives_no_value() -> None:
    assert ppv_findings(context(70, "male", explained=("haemoptysis",))) == []


def test_newest_entry_decides_whether_a_symptom_is_explained() -> None:
    ctx = PatientContext.model_validate(
        {
            "as_of": AS_OF.isoformat(),
            "patient": {"birth_date": born_aged(70), "sex": "male"},
            "symptoms": [
                {"code": "haemoptysis", "onset": "2024-06-01"},
                {"code": "haemoptysis", "onset": "2025-02-01", "unexplained": False},
            ],
        }
    )
    assert ppv_findings(ctx) == []


def test_lab_value_counts_through_its_derived_finding() -> None:
    labs = [{"code": "haemoglobin", "value": 6.0, "unit": "mmol/L", "date": "2025-02-20"}]
    found = ppv_findings(context(65, "male", labs=labs))
    assert found and found[0].symptoms == ("anaemia",)
    assert found[0].cancer_site == "colorectal"


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(min_value=18, max_value=95),
    sex=st.sampled_from(["female", "male"]),
    codes=st.sets(
        st.sampled_from(
            [
                "rectal_bleeding",
                "haemoptysis",
                "dysphagia",
                "jaundice",
                "weight_loss",
                "abdominal_pain",
                "visible_haematuria",
                "breast_lump",
                "change_in_bowel_habit",
            ]
        ),
        max_size=5,
    ),
)
def test_every_reported_value_is_from_a_row_whose_band_holds_the_patient(
    age: int, sex: str, codes: set[str]
) -> None:
    table = load_ppv_table()
    by_id = {r.id: r for r in table.rows}
    for m in ppv_findings(context(age, sex, *sorted(codes))):
        r = by_id[m.row_id]
        assert r.applies_to(age=age, sex=sex)
        assert set(r.features) <= codes | {"anaemia"}


@settings(max_examples=40, deadline=None)
@given(
    age=st.integers(min_value=18, max_value=95),
    codes=st.sets(st.sampled_from(["rectal_bleeding", "haemoptysis", "dysphagia", "jaundice"])),
    extra=st.sampled_from(["weight_loss", "abdominal_pain", "visible_haematuria"]),
)
def test_an_extra_symptom_never_lowers_a_sites_value(age: int, codes: set[str], extra: str) -> None:
    before = {
        m.cancer_site: m.ppv_percent
        for m in ppv_findings(context(age, "male", *codes), max_sites=99)
    }
    after = {
        m.cancer_site: m.ppv_percent
        for m in ppv_findings(context(age, "male", *codes, extra), max_sites=99)
    }
    for site, value in before.items():
        assert after[site] >= value


# --- the schema refuses malformed rows -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"source": "no-such-paper"}, "source", "unknown source"),
        ({"ppv_percent": 120}, "ppv_percent", "less than or equal to 100"),
        ({"ppv_percent": -1}, "ppv_percent", "greater than or equal to 0"),
        ({"features": ["rectal_bleeding", "not_a_code"]}, "features.1", "unknown vocabulary code"),
        ({"location": ""}, "location", "at least 1 character"),
        ({"age_min": 70, "age_max": 60}, "(row)", "below age_min"),
        ({"features": ["weight_loss", "weight_loss"]}, "(row)", "two different features"),
    ],
)
def test_malformed_row_is_refused_with_file_row_and_field(
    change: dict[str, Any], field: str, message: str
) -> None:
    bad = row(id="bad-row", **change)
    with pytest.raises(PpvError) as err:
        small_table([row(id="fine"), bad])
    text = str(err.value)
    assert text.startswith("test.yaml: row 'bad-row'")
    assert f"field {field!r}" in text
    assert message in text


def test_row_without_source_is_refused() -> None:
    bad = row(id="no-source")
    del bad["source"]
    with pytest.raises(PpvError, match=r"row 'no-source': field 'source': Field required"):
        small_table([bad])


def test_source_without_year_is_refused() -> None:
    raw = raw_table()
    raw = copy.deepcopy(raw)
    del raw["sources"]["jones2007-alarm"]["year"]
    with pytest.raises(PpvError, match=r"sources\.jones2007-alarm\.year"):
        parse_ppv_table(raw, file="test.yaml", vocab=load_vocabulary())


def test_duplicate_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    text = PPV_FILE.read_text(encoding="utf-8").replace(
        "    ppv_percent: 2.4\n", "    ppv_percent: 2.4\n    ppv_percent: 9.9\n", 1
    )
    path = tmp_path / "ppv.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PpvError, match="duplicate key"):
        load_ppv_table(path)
