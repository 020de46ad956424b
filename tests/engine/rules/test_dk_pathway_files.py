"""The organ pathway files for lung, breast, colorectal, pancreas, oesophagus/stomach,
prostate, ovary and uterus: each says what it is (the `pathway` mapping), what was read, and
where a criterion could not be read, what was tried; none of those encodes a rule."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from opspor.engine.rules.loader import RULES_DIR, load_ruleset

RULESET = "dk-pakkeforloeb"
FILES = {
    "lung": "not_found",
    "breast": "not_found",
    "colorectal": "partly_encoded",
    "pancreas": "not_found",
    "oesophagus_stomach": "not_found",
    "prostate": "not_found",
    "ovary": "not_found",
    "uterus": "not_found",
}


def pathway_file(name: str) -> dict[str, Any]:
    data = yaml.safe_load((RULES_DIR / RULESET / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", FILES)
def test_each_file_names_its_pathway(name: str) -> None:
    pathway = pathway_file(name)["pathway"]
    assert pathway["code"] == name
    assert pathway["entry_criteria"] == FILES[name]
    title = pathway["title"]
    assert title["da"].startswith("Pakkeforløb for ") and title["en"].endswith("pathway")


@pytest.mark.parametrize("name", FILES)
def test_what_was_not_encoded_says_what_was_tried(name: str) -> None:
    pathway = pathway_file(name)["pathway"]
    tried = pathway["tried"]
    assert isinstance(tried, list) and len(tried) >= 3
    assert all(isinstance(line, str) and line.strip() for line in tried)
    assert any("pages, docs and code corpora" in line for line in tried)


@pytest.mark.parametrize("name", [n for n, state in FILES.items() if state == "not_found"])
def test_a_pathway_not_found_encodes_nothing_and_cites_nothing(name: str) -> None:
    data = pathway_file(name)
    assert data["rules"] == []
    assert data["pathway"]["source"] is None


def test_the_colorectal_file_cites_what_it_read() -> None:
    source = pathway_file("colorectal")["pathway"]["source"]
    assert source["url"] == "https://pri.rn.dk/Sider/13499.aspx"
    assert "Region Nordjylland" in source["title"] and source["version"]


def test_only_colorectal_rules_come_from_these_files() -> None:
    sites = {r.cancer_site for r in load_ruleset(RULESET).rules}
    absent = {"lung", "breast", "pancreatic", "oesophageal", "stomach", "prostate", "ovarian"}
    assert sites.isdisjoint(absent)
    assert "colorectal" in sites


def test_the_loader_reads_each_pathway_with_its_file_and_state() -> None:
    pathways = {p.code: p for p in load_ruleset(RULESET).pathways}
    for name, state in FILES.items():
        assert pathways[name].entry_criteria == state
        assert pathways[name].file == f"{name}.yaml"
        assert pathways[name].tried
    assert pathways["colorectal"].source is not None
    assert all(pathways[n].source is None for n, s in FILES.items() if s == "not_found")
