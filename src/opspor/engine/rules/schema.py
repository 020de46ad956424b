"""Rule sets as YAML data: their schema, and the parser that names file, rule and field.

A rule set file has a header (`ruleset`, `title`, `source`) and a list of `rules`. A rule:

    - id: ng12-1.1.1-haemoptysis          # unique, lower case
      cancer_site: lung
      recommendation: suspected_cancer_referral  # one of RECOMMENDATIONS, the guideline's
                                          # own kind of action and urgency
      strength: offer                     # offer ("refer", "offer") or consider
      applies_to: young_people_and_adults # the age group the recommendation names
      audience: gp                        # or dentist: kept as data, never assessed for a GP
      investigation: null                 # or chest_xray, or a list when several tests are named
      within_days: 14                     # the guideline's time frame, or null
      source: {recommendation_number: "1.1.1"}  # may add title, url, version when the
                                          # rule comes from another document than the header's
      explanation: {da: "...", en: "..."}
      clinical_judgement: null            # or {da, en}: what the rule leaves to the doctor
      when: <condition>

A condition is a mapping with exactly one key:
    all: [<condition>, ...]             any: [<condition>, ...]        not: <condition>
    at_least: {n: 2, of: [<condition>, ...]}
    weighted_score: {at_least: 3, of: [{points: 2, when: <condition>}, ...]}
    age: {min: 40, max: 59}             sex: female | male
    smoking: [current, former]          exposure: [asbestos, ...]
    family_history: {sites: [breast, ovarian], at_least: 1}
    symptom: haemoptysis | {code, unexplained: true, course: any | persistent | recurrent
                            | persistent_or_recurrent, within_days: 90,
                            lasting_more_than_days: 21}
    symptoms: {at_least: 2, of: [cough, fatigue, ...], unexplained: true, course: any}
    finding: chest_xray_suggests_lung_cancer | {code, within_days}
    lab: {code: platelets, above: 400, within_days: 90}   (above, below, at_least, at_most)
    signal: pattern_break | long_absence | low_continuity | medication_rise

A file of a rule set kept as a folder may also describe the pathway it encodes (`pathway`:
code, title, source, entry_criteria, tried), so that a pathway whose criteria could not be
read is still named, with what was tried.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from opspor.engine.rules import conditions as c
from opspor.engine.vocab import Vocabulary

# The guideline's own kinds of action, most urgent first within referrals and investigations.
# NG12's terms: "immediate" is within a few hours, "very urgent" within 48 hours, "urgent"
# before 2 weeks; a suspected cancer pathway referral aims at a diagnosis within 28 days;
# "non-urgent" (and "routine") has no fixed time. `referral` is a referral whose urgency the
# guideline does not state (NG12 1.13.1).
Recommendation = Literal[
    "immediate_referral",
    "very_urgent_referral",
    "suspected_cancer_referral",
    "consider_referral",
    "urgent_referral",
    "urgent_investigation_or_referral",
    "urgent_investigation",
    "non_urgent_investigation",
    "non_urgent_referral",
    "referral",
    "safety_net",
]
RECOMMENDATIONS: tuple[str, ...] = get_args(Recommendation)
STRENGTHS = ("offer", "consider")
# What a suspected cancer pathway referral is called says its strength already.
_FIXED_STRENGTH = {"suspected_cancer_referral": "offer", "consider_referral": "consider"}
Audience = Literal["gp", "dentist"]
AUDIENCES: tuple[str, ...] = get_args(Audience)
# The age groups recommendations name, as whole years (min, max). NG12's "Terms used":
# children are from birth to 15, children and young people from birth to 24, young people 16
# to 24. NG12 does not define "adults"; 18 is the age of majority. A site recommendation that
# says "people" and is not in NG12's table "Symptoms in children and young people" is read as
# young_people_and_adults (see the rule set's notes).
AGE_GROUPS: dict[str, tuple[int | None, int | None]] = {
    "everyone": (None, None),
    "adults": (18, None),
    "young_people_and_adults": (16, None),
    "children_and_young_people": (None, 24),
    "children": (None, 15),
}
ENTRY_CRITERIA = ("encoded", "partly_encoded", "not_found")
INVESTIGATIONS = (
    "chest_xray",
    "ct_thorax_abdomen",
    "full_blood_count",
    "fit",
    "psa",
    "ultrasound",
    "abdominal_ultrasound",
    "pelvic_ultrasound",
    "renal_ultrasound",
    "ca125",
    "endoscopy",
    "upper_gi_endoscopy",
    "ct_abdomen",
    "blood_tests",
    "urine_dipstick",
    "serum_protein_electrophoresis",
    "mammography",
    "diagnostic_pathway_tests",
    "abdominal_pelvic_ultrasound",
    "testicular_ultrasound",
    "soft_tissue_ultrasound",
    "bone_xray",
    "mri_brain",
    "calcium",
    "plasma_viscosity_or_esr",
    "serum_free_light_chains",
)
SIGNALS = ("pattern_break", "long_absence", "low_continuity", "medication_rise")
COURSES = ("any", "persistent", "recurrent", "persistent_or_recurrent")
SMOKING = ("never", "former", "current", "unknown")
_ID = re.compile(r"^[a-z0-9][a-z0-9.\-_]*$")


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class Text:
    da: str
    en: str

    def get(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


@dataclass(frozen=True)
class Rule:
    id: str
    cancer_site: str
    recommendation: str
    strength: str
    applies_to: str
    audience: str
    investigations: tuple[str, ...]
    within_days: int | None
    recommendation_number: str
    explanation: Text
    # Set when the rule comes from another publication than the rule set's header names.
    source_title: str | None
    source_url: str | None
    source_version: str | None
    clinical_judgement: Text | None
    when: c.Condition

    @property
    def investigation(self) -> str | None:
        """The first test named, for readers that show one."""
        return self.investigations[0] if self.investigations else None


@dataclass(frozen=True)
class Pathway:
    """A Danish cancer pathway one file of a rule set encodes, or says it could not."""

    code: str
    title: Text
    source: dict[str, str] | None
    entry_criteria: str
    tried: tuple[str, ...]
    file: str


@dataclass(frozen=True)
class RuleSet:
    name: str
    title: str
    source: dict[str, str]
    rules: tuple[Rule, ...]
    pathways: tuple[Pathway, ...] = ()

    @functools.cached_property
    def for_gp(self) -> tuple[Rule, ...]:
        """The rules a GP's assessment runs: those written for another audience (NG12's
        recommendations to dentists) stay in the data but are not for the GP."""
        return tuple(r for r in self.rules if r.audience == "gp")

    @functools.cached_property
    def gp_index(self) -> tuple[tuple[Rule, frozenset[c.Input] | None], ...]:
        """The GP's rules, each with the inputs of which it needs at least one."""
        return tuple((r, c.required_inputs(r.when)) for r in self.for_gp)


class _Parser:
    def __init__(self, file: str, vocab: Vocabulary) -> None:
        self.file = file
        self.vocab = vocab
        self.rule_id = "(header)"

    def fail(self, path: str, message: str) -> RuleError:
        return RuleError(f"{self.file}: rule {self.rule_id}: {path}: {message}")

    # -- helpers ---------------------------------------------------------------------------
    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        return value

    def keys(
        self, value: Mapping[str, Any], path: str, allowed: set[str], required: set[str]
    ) -> None:
        unknown = set(value) - allowed
        if unknown:
            raise self.fail(path, f"unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        missing = required - set(value)
        if missing:
            raise self.fail(path, f"missing field(s) {sorted(missing)}")

    def integer(self, value: Any, path: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(path, f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        return float(value)

    def text(self, value: Any, path: str) -> Text:
        m = self.mapping(value, path)
        self.keys(m, path, {"da", "en"}, {"da", "en"})
        for lang in ("da", "en"):
            if not isinstance(m[lang], str) or not m[lang].strip():
                raise self.fail(f"{path}.{lang}", "expected a non-empty text")
        return Text(da=m["da"].strip(), en=m["en"].strip())

    def code(self, value: Any, path: str, known: Mapping[str, object], kind: str) -> str:
        if not isinstance(value, str) or value not in known:
            raise self.fail(path, f"{value!r} is not a {kind} code of the vocabulary")
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(path, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    def listing(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, "expected a non-empty list")
        return value

    # -- conditions ------------------------------------------------------------------------
    def condition(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        if len(m) != 1:
            raise self.fail(path, f"a condition has exactly one key, got {sorted(m) or 'none'}")
        ((key, arg),) = m.items()
        handler = self._handlers().get(key)
        if handler is None:
            raise self.fail(path, f"unknown condition {key!r}; known: {sorted(self._handlers())}")
        return handler(arg, f"{path}.{key}")

    def _handlers(self) -> dict[str, Callable[[Any, str], c.Condition]]:
        return {
            "all": lambda a, p: c.AllOf(self.conditions(a, p)),
            "any": lambda a, p: c.AnyOf(self.conditions(a, p)),
            "not": lambda a, p: c.Not(self.condition(a, p)),
            "at_least": self.at_least,
            "weighted_score": self.weighted_score,
            "age": self.age,
            "sex": lambda a, p: c.Sex(self.choice(a, p, ("female", "male"))),
            "smoking": lambda a, p: c.Smoking(
                frozenset(
                    self.choice(s, f"{p}[{i}]", SMOKING) for i, s in enumerate(self.listing(a, p))
                )
            ),
            "exposure": lambda a, p: c.Exposure(
                frozenset(
                    self.code(s, f"{p}[{i}]", self.vocab.exposures, "exposure")
                    for i, s in enumerate(self.listing(a, p))
                )
            ),
            "family_history": self.family_history,
            "symptom": self.symptom,
            "symptoms": self.symptoms,
            "finding": self.finding,
            "lab": self.lab,
            "signal": lambda a, p: c.Signal(self.choice(a, p, SIGNALS)),
        }

    def conditions(self, value: Any, path: str) -> tuple[c.Condition, ...]:
        return tuple(
            self.condition(v, f"{path}[{i}]") for i, v in enumerate(self.listing(value, path))
        )

    def at_least(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        self.keys(m, path, {"n", "of"}, {"n", "of"})
        of = self.conditions(m["of"], f"{path}.of")
        n = self.integer(m["n"], f"{path}.n", 1)
        if n > len(of):
            raise self.fail(f"{path}.n", f"{n} is more than the {len(of)} conditions listed")
        return c.AtLeast(n, of)

    def weighted_score(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        self.keys(m, path, {"at_least", "of"}, {"at_least", "of"})
        items = []
        for i, raw in enumerate(self.listing(m["of"], f"{path}.of")):
            item_path = f"{path}.of[{i}]"
            item = self.mapping(raw, item_path)
            self.keys(item, item_path, {"points", "when"}, {"points", "when"})
            points = self.integer(item["points"], f"{item_path}.points", 1)
            items.append((points, self.condition(item["when"], f"{item_path}.when")))
        at_least = self.integer(m["at_least"], f"{path}.at_least", 1)
        if at_least > sum(p for p, _ in items):
            raise self.fail(f"{path}.at_least", f"{at_least} is more than all items' points")
        return c.WeightedScore(at_least, tuple(items))

    def age(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        self.keys(m, path, {"min", "max"}, set())
        lo = self.integer(m["min"], f"{path}.min") if "min" in m else None
        hi = self.integer(m["max"], f"{path}.max") if "max" in m else None
        if lo is None and hi is None:
            raise self.fail(path, "give min, max or both")
        if lo is not None and hi is not None and lo > hi:
            raise self.fail(path, f"min {lo} is above max {hi}")
        return c.Age(lo, hi)

    def family_history(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        self.keys(m, path, {"sites", "at_least"}, {"sites"})
        sites = frozenset(str(s) for s in self.listing(m["sites"], f"{path}.sites"))
        return c.FamilyHistory(sites, self.integer(m.get("at_least", 1), f"{path}.at_least", 1))

    def _symptom_options(self, m: Mapping[str, Any], path: str) -> tuple[bool, str, int | None]:
        unexplained = m.get("unexplained", True)
        if not isinstance(unexplained, bool):
            raise self.fail(f"{path}.unexplained", "expected true or false")
        course = self.choice(m.get("course", "any"), f"{path}.course", COURSES)
        within = m.get("within_days")
        within_days = None if within is None else self.integer(within, f"{path}.within_days", 1)
        return unexplained, course, within_days

    def symptom(self, value: Any, path: str) -> c.Condition:
        if isinstance(value, str):
            return c.Symptom(self.code(value, path, self.vocab.symptoms, "symptom"))
        m = self.mapping(value, path)
        self.keys(
            m,
            path,
            {"code", "unexplained", "course", "within_days", "lasting_more_than_days"},
            {"code"},
        )
        unexplained, course, within_days = self._symptom_options(m, path)
        code = self.code(m["code"], f"{path}.code", self.vocab.symptoms, "symptom")
        lasting = m.get("lasting_more_than_days")
        return c.Symptom(
            code,
            unexplained,
            course,  # type: ignore[arg-type]
            within_days,
            None if lasting is None else self.integer(lasting, f"{path}.lasting_more_than_days", 1),
        )

    def symptoms(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        self.keys(
            m, path, {"at_least", "of", "unexplained", "course", "within_days"}, {"at_least", "of"}
        )
        unexplained, course, within_days = self._symptom_options(m, path)
        codes = [
            self.code(s, f"{path}.of[{i}]", self.vocab.symptoms, "symptom")
            for i, s in enumerate(self.listing(m["of"], f"{path}.of"))
        ]
        n = self.integer(m["at_least"], f"{path}.at_least", 1)
        if n > len(codes):
            raise self.fail(
                f"{path}.at_least", f"{n} is more than the {len(codes)} symptoms listed"
            )
        return c.AtLeast(
            n,
            tuple(c.Symptom(code, unexplained, course, within_days) for code in codes),  # type: ignore[arg-type]
        )

    def finding(self, value: Any, path: str) -> c.Condition:
        if isinstance(value, str):
            return c.Finding(self.code(value, path, self.vocab.findings, "finding"))
        m = self.mapping(value, path)
        self.keys(m, path, {"code", "within_days"}, {"code"})
        within = m.get("within_days")
        return c.Finding(
            self.code(m["code"], f"{path}.code", self.vocab.findings, "finding"),
            None if within is None else self.integer(within, f"{path}.within_days", 1),
        )

    def lab(self, value: Any, path: str) -> c.Condition:
        m = self.mapping(value, path)
        comparisons = {"above", "below", "at_least", "at_most"}
        self.keys(m, path, {"code", "within_days"} | comparisons, {"code"})
        if not comparisons & set(m):
            raise self.fail(path, "give a threshold: above, below, at_least or at_most")
        bounds = {k: self.number(m[k], f"{path}.{k}") for k in comparisons & set(m)}
        return c.Lab(
            code=self.code(m["code"], f"{path}.code", self.vocab.labs, "lab"),
            within_days=self.integer(m.get("within_days", 90), f"{path}.within_days", 1),
            **bounds,
        )

    # -- rules -----------------------------------------------------------------------------
    def rule(self, value: Any, index: int) -> Rule:
        path = f"rules[{index}]"
        m = self.mapping(value, path)
        self.rule_id = str(m.get("id", f"#{index}"))
        fields = {
            "id",
            "cancer_site",
            "recommendation",
            "strength",
            "applies_to",
            "audience",
            "investigation",
            "within_days",
            "source",
            "explanation",
            "clinical_judgement",
            "when",
        }
        self.keys(
            m,
            "rule",
            fields,
            {
                "id",
                "cancer_site",
                "recommendation",
                "strength",
                "applies_to",
                "source",
                "explanation",
                "when",
            },
        )
        if not isinstance(m["id"], str) or not _ID.match(m["id"]):
            raise self.fail("id", "expected lower-case letters, digits, dots and dashes")
        source = self.mapping(m["source"], "source")
        self.keys(
            source,
            "source",
            {"recommendation_number", "note", "title", "url", "version"},
            {"recommendation_number"},
        )
        if ("title" in source) != ("url" in source) or (
            "version" in source and "title" not in source
        ):
            raise self.fail(
                "source", "a rule's own source needs title and url (and may give version)"
            )
        investigations = self.investigations(m.get("investigation"))
        within = m.get("within_days")
        judgement = m.get("clinical_judgement")
        recommendation = self.choice(m["recommendation"], "recommendation", RECOMMENDATIONS)
        strength = self.choice(m["strength"], "strength", STRENGTHS)
        if _FIXED_STRENGTH.get(recommendation, strength) != strength:
            raise self.fail(
                "strength", f"{recommendation} is always {_FIXED_STRENGTH[recommendation]}"
            )
        applies_to = self.choice(m["applies_to"], "applies_to", tuple(AGE_GROUPS))
        when = self.condition(m["when"], "when")
        lo, hi = AGE_GROUPS[applies_to]
        if lo is not None or hi is not None:
            when = c.AllOf((c.Age(lo, hi), when))
        return Rule(
            id=m["id"],
            cancer_site=str(m["cancer_site"]),
            recommendation=recommendation,
            strength=strength,
            applies_to=applies_to,
            audience=self.choice(m.get("audience", "gp"), "audience", AUDIENCES),
            investigations=investigations,
            within_days=None if within is None else self.integer(within, "within_days", 0),
            recommendation_number=str(source["recommendation_number"]),
            source_title=str(source["title"]).strip() if "title" in source else None,
            source_url=str(source["url"]).strip() if "url" in source else None,
            source_version=str(source["version"]).strip() if "version" in source else None,
            explanation=self.text(m["explanation"], "explanation"),
            clinical_judgement=None
            if judgement is None
            else self.text(judgement, "clinical_judgement"),
            when=when,
        )

    def investigations(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, list):
            codes = tuple(
                self.choice(v, f"investigation[{i}]", INVESTIGATIONS)
                for i, v in enumerate(self.listing(value, "investigation"))
            )
            if len(set(codes)) != len(codes):
                raise self.fail("investigation", "a test is named twice")
            return codes
        return (self.choice(value, "investigation", INVESTIGATIONS),)

    def pathway(self, value: Any) -> Pathway:
        self.rule_id = "(pathway)"
        m = self.mapping(value, "pathway")
        self.keys(
            m,
            "pathway",
            {"code", "title", "source", "entry_criteria", "tried"},
            {"code", "title", "source", "entry_criteria"},
        )
        if not isinstance(m["code"], str) or not _ID.match(m["code"]):
            raise self.fail("pathway.code", "expected lower-case letters, digits and dashes")
        entry = self.choice(m["entry_criteria"], "pathway.entry_criteria", ENTRY_CRITERIA)
        source = None
        if m["source"] is not None:
            raw = self.mapping(m["source"], "pathway.source")
            self.keys(raw, "pathway.source", {"title", "url", "version", "note"}, {"title", "url"})
            source = {k: str(v).strip() for k, v in raw.items()}
        tried_raw = m.get("tried") or []
        if not isinstance(tried_raw, list) or not all(isinstance(t, str) for t in tried_raw):
            raise self.fail("pathway.tried", "expected a list of texts")
        if entry != "encoded" and not tried_raw:
            raise self.fail("pathway.tried", "say what was tried when criteria are not encoded")
        return Pathway(
            code=m["code"],
            title=self.text(m["title"], "pathway.title"),
            source=source,
            entry_criteria=entry,
            tried=tuple(t.strip() for t in tried_raw),
            file=self.file,
        )

    def ruleset(self, data: Any) -> RuleSet:
        m = self.mapping(data, "file")
        self.keys(
            m,
            "file",
            {"ruleset", "title", "source", "rules", "notes"},
            {"ruleset", "title", "source", "rules"},
        )
        source = self.mapping(m["source"], "source")
        self.keys(
            source,
            "source",
            {"title", "url", "version", "publisher", "note"},
            {"title", "url", "version"},
        )
        raw_rules = m["rules"]
        if not isinstance(raw_rules, list):
            raise self.fail("rules", "expected a list")
        rules = tuple(self.rule(r, i) for i, r in enumerate(raw_rules))
        self.rule_id = "(header)"
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                self.rule_id = rule.id
                raise self.fail("id", "the same id is used twice")
            seen.add(rule.id)
        return RuleSet(
            name=str(m["ruleset"]),
            title=str(m["title"]),
            source={k: str(v) for k, v in source.items()},
            rules=rules,
        )

    def rules_only(self, data: Any) -> tuple[tuple[Rule, ...], Pathway | None]:
        m = self.mapping(data, "file")
        self.keys(m, "file", {"rules", "notes", "pathway"}, {"rules"})
        pathway = self.pathway(m["pathway"]) if "pathway" in m else None
        raw_rules = m["rules"]
        if pathway is None or raw_rules != []:
            raw_rules = self.listing(raw_rules, "rules")
        if pathway is not None and pathway.entry_criteria == "not_found" and raw_rules:
            self.rule_id = "(pathway)"
            raise self.fail("pathway.entry_criteria", "not_found, yet the file has rules")
        return tuple(self.rule(r, i) for i, r in enumerate(raw_rules)), pathway


def parse_ruleset(data: Any, *, file: str, vocab: Vocabulary) -> RuleSet:
    return _Parser(file, vocab).ruleset(data)


def parse_rules(
    data: Any, *, file: str, vocab: Vocabulary
) -> tuple[tuple[Rule, ...], Pathway | None]:
    """The rules of one file of a rule set kept as a folder (one file per cancer site), and
    the pathway the file says it encodes, if it names one."""
    return _Parser(file, vocab).rules_only(data)


def merge(
    header: RuleSet, parts: list[tuple[str, tuple[tuple[Rule, ...], Pathway | None]]]
) -> RuleSet:
    seen: dict[str, str] = {r.id: "_ruleset.yaml" for r in header.rules}
    rules = list(header.rules)
    pathways: dict[str, Pathway] = {}
    for file, (part, pathway) in parts:
        for rule in part:
            if rule.id in seen:
                raise RuleError(f"{file}: rule {rule.id}: id: already used in {seen[rule.id]}")
            seen[rule.id] = file
            rules.append(rule)
        if pathway is not None:
            if pathway.code in pathways:
                raise RuleError(
                    f"{file}: pathway {pathway.code!r} is also described in "
                    f"{pathways[pathway.code].file}"
                )
            pathways[pathway.code] = pathway
    return RuleSet(
        name=header.name,
        title=header.title,
        source=header.source,
        rules=tuple(rules),
        pathways=tuple(pathways.values()),
    )
