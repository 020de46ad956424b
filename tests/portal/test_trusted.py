"""The trusted-information catalogue: its shape, and every malformed file refused with the
entry and the field named. No network: addresses are checked as text, never fetched."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from opspor.engine.rules.pathways import listed_pathways, referable_pathways
from opspor.engine.vocab import load_vocabulary
from opspor.portal.trusted import (
    CATALOGUE_FILE,
    PUBLISHERS,
    CatalogueError,
    load_catalogue,
    parse_catalogue,
    read_catalogue,
    shown,
)
from opspor.safetynet.advice import rules_out_cancer

# The symptoms a patient commonly reports (the task's list, as vocabulary codes): each has a
# link or is listed in the file as searched for and not found.
COMMON_SYMPTOMS = (
    "weight_loss",
    "fatigue",
    "cough",
    "haemoptysis",
    "rectal_bleeding",
    "change_in_bowel_habit",
    "abdominal_pain",
    "visible_haematuria",
    "breast_lump",
    "post_menopausal_bleeding",
    "neck_lump",
    "dysphagia",
    "hoarseness",
    "pigmented_skin_lesion",
    "bruising",
    "night_sweats",
    "bone_pain",
    "headache",
)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


def _link(**fields: Any) -> dict[str, Any]:
    link: dict[str, Any] = {
        "key": "a-link",
        "url": "https://www.sundhed.dk/borger/patienthaandbogen/a-page",
        "publisher": "sundhed.dk",
        "titles": {"da": "En side", "en": "A page"},
        "last_checked": date(2026, 12, 3),
        "checked_how": "Seen in a stored copy of the page.",
        "symptoms": ["cough"],
    }
    link.update(fields)
    return {key: value for key, value in link.items() if value is not ...}


def _parse(*links: dict[str, Any], **top: Any) -> Any:
    return parse_catalogue({"links": list(links), **top}, today=date(2026, 12, 3))


# --- the catalogue as shipped ------------------------------------------------------------


def test_the_shipped_catalogue_loads_and_has_links_of_every_kind() -> None:
    catalogue = load_catalogue()
    assert catalogue.for_symptoms(["rectal_bleeding"])
    assert catalogue.for_pathways(["dpf"])
    assert catalogue.general()
    # The signature the GP side uses.
    assert catalogue.for_symptoms(("haemoptysis", "no_such_code"))[0].key == (
        "sundhed-blodigt-ophostet-slim"
    )


def test_every_link_is_https_on_its_publishers_domain_and_checked_how() -> None:
    for link in load_catalogue().links:
        parts = urlsplit(link.url)
        assert parts.scheme == "https", link.key
        assert parts.hostname is not None
        domains = PUBLISHERS[link.publisher]
        assert any(parts.hostname == d or parts.hostname.endswith("." + d) for d in domains), (
            link.key
        )
        assert link.checked_how, link.key
        assert link.titles["da"] and link.titles["en"], link.key


def test_keys_and_addresses_are_unique() -> None:
    links = load_catalogue().links
    assert len({link.key for link in links}) == len(links)
    assert len({link.url for link in links}) == len(links)


def test_every_code_exists_and_no_link_was_checked_in_the_future() -> None:
    symptoms = set(load_vocabulary().symptoms)
    pathways = {p.code for p in listed_pathways()}
    catalogue = load_catalogue()
    for link in catalogue.links:
        assert set(link.symptoms) <= symptoms, link.key
        assert set(link.pathways) <= pathways, link.key
        assert link.last_checked <= date.today(), link.key
    assert set(catalogue.symptoms_not_found) <= symptoms
    assert set(catalogue.pathways_not_found) <= pathways


def test_each_common_symptom_and_referable_pathway_has_a_link_or_is_listed_as_not_found() -> None:
    catalogue = load_catalogue()
    for code in COMMON_SYMPTOMS:
        assert catalogue.for_symptoms([code]) or code in catalogue.symptoms_not_found, code
    for pathway in referable_pathways():
        code = pathway.code
        assert catalogue.for_pathways([code]) or code in catalogue.pathways_not_found, code


def test_a_symptoms_links_are_about_the_symptom_not_a_cancer() -> None:
    # A symptom's links are shown to every patient with the symptom, referred or not.
    for link in load_catalogue().links:
        if link.symptoms:
            for title in link.titles.values():
                assert "kræft" not in title.casefold() and "cancer" not in title.casefold()
        for title in link.titles.values():
            assert rules_out_cancer(title) is None


def test_the_former_unchecked_entry_is_gone() -> None:
    assert load_catalogue().get("kb-alarm-signals") is None


def test_titles_fall_back_to_danish_for_other_languages() -> None:
    link = load_catalogue().links[0]
    [arabic] = shown([link], "ar")
    assert (arabic.title, arabic.title_language) == (link.titles["da"], "da")
    [english] = shown([link], "en")
    assert (english.title, english.title_language) == (link.titles["en"], "en")


# --- malformed files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "http://www.sundhed.dk/borger/x"}, "url must be an https:// address"),
        ({"url": "www.sundhed.dk/borger/x"}, "url must be an https:// address"),
        ({"url": "https://sundhed.dk.example.com/x"}, "is not on sundhed.dk's domain"),
        ({"url": "https://www.cancer.dk/x"}, "is not on sundhed.dk's domain"),
        ({"publisher": "Netdoktor"}, "publisher 'Netdoktor' is not one of"),
        ({"titles": {"da": "Kun dansk"}}, "titles needs da, en"),
        ({"titles": {"da": "Side", "en": "  "}}, "titles needs da, en"),
        ({"last_checked": "3 December 2026"}, "last_checked must be a date"),
        ({"last_checked": date(2026, 12, 4)}, "last_checked after today"),
        ({"checked_how": ""}, "missing 'checked_how'"),
        ({"checked_how": ...}, "missing 'checked_how'"),
        ({"key": ...}, "link 1: missing 'key'"),
        ({"symptoms": ["coughing"]}, "unknown vocabulary symptom code(s) ['coughing']"),
        ({"symptoms": "cough"}, "symptoms must be a list of codes"),
        ({"symptoms": ["cough"], "pathways": ["lungs"]}, "unknown pathway code(s) ['lungs']"),
        ({"symptoms": ..., "pathways": ..., "general": ...}, "no page would show this link"),
        ({"general": "yes"}, "general must be true or false"),
    ],
)
def test_a_malformed_link_is_refused_naming_the_entry_and_field(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogueError) as refused:
        _parse(_link(**fields))
    assert message in str(refused.value)
    assert "trusted.yaml" in str(refused.value)


def test_duplicate_keys_and_addresses_are_refused() -> None:
    with pytest.raises(CatalogueError, match=r"duplicate keys \['a-link'\]"):
        _parse(_link(), _link(url="https://www.sundhed.dk/other"))
    with pytest.raises(CatalogueError, match="the same url listed twice"):
        _parse(_link(), _link(key="b-link"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "needs a list 'links'"),
        ({"links": "none"}, "needs a list 'links'"),
        ({"links": ["just a string"]}, "link 1: not a mapping"),
        ({"links": [], "not_found": ["cough"]}, "not_found must be a mapping"),
        ({"links": [], "not_found": {"symptoms": {"coughing": "x"}}}, "unknown code(s)"),
        ({"links": [], "not_found": {"symptoms": {"cough": ""}}}, "note of what was searched"),
    ],
)
def test_a_malformed_file_is_refused(data: Any, message: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(data)
    assert message in str(refused.value)


def test_a_symptom_cannot_be_both_linked_and_not_found() -> None:
    with pytest.raises(CatalogueError, match=r"not_found.symptoms lists \['cough'\]"):
        _parse(_link(), not_found={"symptoms": {"cough": "searched"}})


def test_the_shipped_file_with_one_field_broken_is_refused() -> None:
    broken = copy.deepcopy(_raw())
    broken["links"][0]["url"] = broken["links"][0]["url"].replace("https://", "http://")
    with pytest.raises(CatalogueError, match=broken["links"][0]["key"]):
        parse_catalogue(broken)


def test_an_unreadable_or_invalid_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"missing.yaml: cannot be read"):
        read_catalogue(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("links: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"bad.yaml: not valid YAML"):
        read_catalogue(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text("links: []\nlinks: []\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"twice.yaml: not valid YAML"):
        read_catalogue(twice)
