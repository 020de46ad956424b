"""Every Danish cancer pathway a GP can refer to, and how far Opspor can check its entry.

The list is data (`dk-pakkeforloeb/_pathways.yaml`, each pathway with where its name was
seen); how far its entry criteria are encoded comes from the pathway's own file in the rule
set (`pathway.entry_criteria`). A pathway without criteria is still offered for referral:
the overview then never pretends to have checked it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from opspor.engine.datafile import load_yaml
from opspor.engine.rules.loader import RULES_DIR, load_ruleset
from opspor.engine.rules.schema import RuleError, Text

PATHWAY_LIST = RULES_DIR / "dk-pakkeforloeb" / "_pathways.yaml"
# How far Opspor checks a pathway's entry: its criteria encoded, some of them, or none
# (not found in any source read, or not searched for yet).
Criteria = Literal["encoded", "partly_encoded", "not_found", "not_encoded"]


@dataclass(frozen=True)
class ListedPathway:
    code: str
    title: Text
    source_title: str
    source_url: str | None
    gp_entry: bool
    gp_entry_note: str
    criteria: Criteria


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or not value.get("da") or not value.get("en"):
        raise RuleError(f"_pathways.yaml: {where}: title needs da and en")
    return Text(da=str(value["da"]).strip(), en=str(value["en"]).strip())


@functools.cache
def listed_pathways() -> tuple[ListedPathway, ...]:
    data = load_yaml(PATHWAY_LIST.read_text(encoding="utf-8"))
    entries = data.get("pathways") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RuleError("_pathways.yaml: pathways: expected a non-empty list")
    described = {p.code: p.entry_criteria for p in load_ruleset("dk-pakkeforloeb").pathways}
    result: list[ListedPathway] = []
    for i, entry in enumerate(entries):
        where = f"pathways[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise RuleError(f"_pathways.yaml: {where}: needs a code")
        source = entry.get("source")
        if not isinstance(source, dict) or not source.get("title"):
            raise RuleError(f"_pathways.yaml: {where}: needs a source title")
        gp_entry = entry.get("gp_entry", True)
        if gp_entry is False and not entry.get("gp_entry_note"):
            raise RuleError(f"_pathways.yaml: {where}: gp_entry false needs gp_entry_note")
        result.append(
            ListedPathway(
                code=entry["code"],
                title=_text(entry.get("title"), where),
                source_title=str(source["title"]).strip(),
                source_url=str(source["url"]) if source.get("url") else None,
                gp_entry=bool(gp_entry),
                gp_entry_note=str(entry.get("gp_entry_note") or "").strip(),
                criteria=described.get(entry["code"], "not_encoded"),  # type: ignore[arg-type]
            )
        )
    codes = [p.code for p in result]
    if len(set(codes)) != len(codes):
        raise RuleError("_pathways.yaml: a pathway code is listed twice")
    unlisted = set(described) - set(codes)
    if unlisted:
        raise RuleError(f"_pathways.yaml: organ files describe unlisted {sorted(unlisted)}")
    return tuple(result)


def referable_pathways() -> tuple[ListedPathway, ...]:
    """The pathways a GP refers to directly, in the list's order."""
    return tuple(p for p in listed_pathways() if p.gp_entry)
