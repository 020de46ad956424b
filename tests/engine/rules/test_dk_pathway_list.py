"""The list of Danish cancer pathways a GP can refer to (`_pathways.yaml`): each named with its
source, codes unique, and every organ file's pathway on the list."""

from __future__ import annotations

import yaml

from opspor.engine.rules.loader import RULES_DIR, load_ruleset

FOLDER = RULES_DIR / "dk-pakkeforloeb"


def entries() -> list[dict[str, object]]:
    data = yaml.safe_load((FOLDER / "_pathways.yaml").read_text(encoding="utf-8"))
    return list(data["pathways"])


def test_every_pathway_has_code_titles_and_a_source_title() -> None:
    for entry in entries():
        assert set(entry) <= {"code", "title", "source", "gp_entry", "gp_entry_note", "note"}
        title = entry["title"]
        assert isinstance(title, dict) and title["da"] and title["en"]
        source = entry["source"]
        assert isinstance(source, dict) and source["title"]
        assert source.get("url") is None or str(source["url"]).startswith("https://")


def test_codes_are_unique() -> None:
    codes = [e["code"] for e in entries()]
    assert len(codes) == len(set(codes))


def test_no_gp_entry_always_says_why() -> None:
    closed = [e for e in entries() if e.get("gp_entry") is False]
    assert {e["code"] for e in closed} == {
        "metastases_unknown_primary",
        "colorectal_liver_metastases",
    }
    assert all(e.get("gp_entry_note") for e in closed)


def test_every_organ_files_pathway_is_on_the_list() -> None:
    listed = {e["code"] for e in entries()}
    assert {p.code for p in load_ruleset("dk-pakkeforloeb").pathways} <= listed
    assert {"dpf", "kidney", "lung", "colorectal", "breast", "pancreas"} <= listed


def test_pathways_not_seen_named_in_a_danish_source_are_not_listed() -> None:
    listed = {e["code"] for e in entries()}
    assert listed.isdisjoint({"bile_ducts", "penis", "neuroendocrine"})
