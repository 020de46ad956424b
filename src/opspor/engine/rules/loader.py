from __future__ import annotations

import functools
from pathlib import Path

import yaml

from opspor.engine.datafile import load_yaml
from opspor.engine.rules.schema import (
    Pathway,
    Rule,
    RuleError,
    RuleSet,
    merge,
    parse_rules,
    parse_ruleset,
)
from opspor.engine.vocab import load_vocabulary

RULES_DIR = Path(__file__).resolve().parent
RULESETS = ("dk-pakkeforloeb", "nice-ng12")
DEFAULT_RULESET = "dk-pakkeforloeb"


def _yaml(path: Path) -> object:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RuleError(f"{path.name}: not valid YAML: {error}") from None


def load_ruleset_dir(folder: Path) -> RuleSet:
    """A rule set kept as a folder: `_ruleset.yaml` (the header) and one file per site."""
    vocab = load_vocabulary()
    header = parse_ruleset(_yaml(folder / "_ruleset.yaml"), file="_ruleset.yaml", vocab=vocab)
    parts: list[tuple[str, tuple[tuple[Rule, ...], Pathway | None]]] = [
        (path.name, parse_rules(_yaml(path), file=path.name, vocab=vocab))
        for path in sorted(folder.glob("*.yaml"))
        if not path.name.startswith("_")
    ]
    return merge(header, parts)


@functools.cache
def load_ruleset(name: str) -> RuleSet:
    if name not in RULESETS:
        raise RuleError(f"unknown rule set {name!r}; known: {', '.join(RULESETS)}")
    return load_ruleset_dir(RULES_DIR / name)
