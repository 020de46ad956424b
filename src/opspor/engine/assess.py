"""`assess(context) -> Assessment`: signals, guideline criteria and their sources, in one pass.

The engine supports, never decides: each finding says what it used and where it comes from,
and no finding ever states that a patient does not have cancer.
"""

from __future__ import annotations

from typing import Any

from opspor.engine import assessment as out
from opspor.engine.alternatives import alternatives_for
from opspor.engine.context import PatientContext
from opspor.engine.facts import Facts
from opspor.engine.filter_package import DEFAULT_PACKAGE, missing_filter_tests
from opspor.engine.memo import IdentityCache
from opspor.engine.ppv import ppv_findings
from opspor.engine.rules.conditions import dedupe
from opspor.engine.rules.loader import DEFAULT_RULESET, load_ruleset
from opspor.engine.rules.schema import RuleSet
from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.absence import long_absence
from opspor.engine.signals.continuity import continuity
from opspor.engine.signals.medication_rise import medication_rise
from opspor.engine.signals.new_symptom import new_symptoms
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.vulnerability import flags_sentence, vulnerability_flags
from opspor.engine.sites import site_name
from opspor.engine.urgency import is_very_urgent
from opspor.engine.vocab import load_vocabulary


def _finding(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, **fields}


def _da(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _years_months(days: int) -> tuple[int, int]:
    months = round(days / 30.4375)
    return months // 12, months % 12


def assess(
    context: PatientContext,
    *,
    ruleset: str | RuleSet = DEFAULT_RULESET,
    settings: EngineSettings = DEFAULT_SETTINGS,
) -> out.Assessment:
    rules = load_ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    p = context.patient
    age = context.age()
    findings: list[Any] = []
    contact_dates = [c.date for c in context.contacts]

    pb = pattern_break(
        contact_dates=contact_dates,
        as_of=context.as_of,
        age=age,
        sex=p.sex,
        registered_from=p.registered_from,
        settings=settings,
    )
    if pb.signal:
        days = settings.recent_days
        findings.append(
            _finding(
                "pattern_break",
                recent_count=pb.recent_count,
                expected=round(pb.expected, 3),
                p_value=pb.p_value,
                score=round(pb.score, 2),
                window_days=settings.recent_days,
                baseline_count=pb.baseline_count,
                baseline_days=pb.baseline_days,
                because=[
                    {"input": "contacts", "window": "recent", "count": pb.recent_count},
                    {
                        "input": "contacts",
                        "window": "baseline",
                        "count": pb.baseline_count,
                        "days": pb.baseline_days,
                    },
                    {"input": "population_rate", "age": age, "sex": p.sex},
                ],
                explanation={
                    "da": f"Mønsterbrud: {pb.recent_count} kontakter de seneste {days} dage mod "
                    f"forventet {_da(pb.expected)} ud fra patientens vanlige kontaktmønster.",
                    "en": f"Pattern break: {pb.recent_count} contacts in the last {days} days "
                    f"against an expected {pb.expected:.1f} from the patient's usual pattern.",
                },
            )
        )

    absence = long_absence(
        contact_dates=contact_dates,
        as_of=context.as_of,
        registered_from=p.registered_from,
        settings=settings,
    )
    if absence is not None:
        years, months = _years_months(absence.gap_days)
        findings.append(
            _finding(
                "long_absence",
                gap_days=absence.gap_days,
                returned_on=absence.returned_on,
                because=[{"input": "contacts", "gap_days": absence.gap_days}],
                explanation={
                    "da": f"Patienten har ikke været i kontakt med praksis i {years} år og "
                    f"{months} måneder før {absence.returned_on:%d.%m.%Y}.",
                    "en": f"The patient had no contact with the practice for {years} years and "
                    f"{months} months before {absence.returned_on:%d %b %Y}.",
                },
            )
        )

    cont = continuity(
        contacts=[(c.date, c.clinician or "") for c in context.contacts],
        as_of=context.as_of,
        current_clinician=context.current_clinician,
        settings=settings,
    )
    if cont is not None:
        if cont.known_provider is False:
            da = "Du har ikke set patienten de seneste to år."
            en = "You have not seen this patient in the last two years."
        else:
            da = en = ""
        share_da = f"{_da(cont.upc * 100, 0)} % af {cont.n_contacts} kontakter"
        share_en = f"{cont.upc * 100:.0f}% of {cont.n_contacts} contacts"
        if cont.low_continuity:
            da += f" Lav kontinuitet: højst {share_da} hos samme læge."
            en += f" Low continuity: at most {share_en} with the same doctor."
        if not da:
            da = f"{share_da} de seneste to år hos samme læge."
            en = f"{share_en} in the last two years with the same doctor."
        findings.append(
            _finding(
                "continuity",
                n_contacts=cont.n_contacts,
                upc=round(cont.upc, 4),
                coc=round(cont.coc, 4),
                secon=round(cont.secon, 4),
                known_provider=cont.known_provider,
                low_continuity=cont.low_continuity,
                because=[
                    {
                        "input": "contacts",
                        "window_days": settings.continuity_days,
                        "count": cont.n_contacts,
                    }
                ],
                explanation={"da": da.strip(), "en": en.strip()},
            )
        )

    flags = vulnerability_flags(context, long_absence=absence is not None, settings=settings)
    if flags:
        findings.append(
            _finding(
                "vulnerability",
                flags=flags,
                because=[{"input": "flag", "code": f} for f in flags],
                explanation={"da": flags_sentence(flags, "da"), "en": flags_sentence(flags, "en")},
            )
        )

    vocab = load_vocabulary()
    for new in new_symptoms(context, settings):
        label = vocab.symptoms[new.symptom.code]
        findings.append(
            _finding(
                "new_symptom",
                symptom=new.symptom.code,
                onset=new.symptom.onset,
                familiar=list(new.familiar),
                because=[
                    {
                        "input": "symptom",
                        "code": new.symptom.code,
                        "onset": new.symptom.onset.isoformat(),
                    }
                ],
                explanation={
                    "da": f"{label.label('da')} er nyt og forklares ikke af patientens kendte "
                    "kroniske sygdomme eller medicin.",
                    "en": f"{label.label('en')} is new and not explained by the patient's known "
                    "chronic conditions or medicines.",
                },
            )
        )

    meds = medication_rise(
        starts=[(m.atc, m.start) for m in context.medications],
        as_of=context.as_of,
        registered_from=p.registered_from,
        settings=settings,
    )
    facts = Facts.of(
        context,
        signals={
            "pattern_break": pb.signal,
            "long_absence": absence is not None,
            "low_continuity": bool(cont and cont.low_continuity),
            "medication_rise": meds.signal,
        },
    )
    matched = []
    present = facts.inputs()
    for rule, needs in rules.gp_index:
        if needs is not None and needs.isdisjoint(present):
            continue
        evidence = rule.when.test(facts)
        if evidence is None:
            continue
        matched.append(rule)
        findings.append(
            _finding(
                "guideline_criterion",
                rule_id=rule.id,
                cancer_site=rule.cancer_site,
                recommendation=rule.recommendation,
                strength=rule.strength,
                applies_to=rule.applies_to,
                investigation=rule.investigation,
                investigations=list(rule.investigations),
                within_days=rule.within_days,
                because=dedupe(evidence),
                **_rule_texts(rules, rule),
            )
        )

    findings += _ppv(facts)
    if any(FILTER_INVESTIGATION in rule.investigations for rule in matched):
        findings += _filter_package(context)
    signalled = (
        pb.signal or absence is not None or any(f["kind"] == "new_symptom" for f in findings)
    )
    # A lighter option than a pathway is no answer to an immediate or very urgent
    # recommendation (NG12's 48 hours or less), so those rules ask for none.
    unhurried = [r for r in matched if not is_very_urgent(r.recommendation, r.within_days)]
    findings += _alternatives(unhurried, without_rule=not matched and signalled)
    # One validation of the whole result: pydantic checks the nested dicts in its compiled
    # core, far faster than building each small model in Python.
    return out.Assessment.model_validate(
        {"ruleset": rules.name, "as_of": context.as_of, "findings": findings}
    )


# A rule's source, explanation and judgement never change: built once per rule (and rule
# set, whose header gives the source).
_TEXTS: IdentityCache[dict[str, Any]] = IdentityCache()


def _rule_texts(rules: RuleSet, rule: Any) -> dict[str, Any]:
    """A rule's source, explanation and judgement as the assessment's models: a model
    instance is taken as it is by the final validation, where the same texts as plain dicts
    would be checked again in every assessment."""
    return _TEXTS.get((rules, rule), lambda: _build_rule_texts(rules, rule))


def _build_rule_texts(rules: RuleSet, rule: Any) -> dict[str, Any]:
    judgement = rule.clinical_judgement
    return {
        "source": out.RuleSource(
            title=rule.source_title or rules.source["title"],
            recommendation_number=rule.recommendation_number,
            url=rule.source_url or rules.source["url"],
            version=rule.source_version or ("" if rule.source_title else rules.source["version"]),
        ),
        "clinical_judgement": (
            out.Explanation(da=judgement.da, en=judgement.en) if judgement else None
        ),
        "explanation": out.Explanation(da=rule.explanation.da, en=rule.explanation.en),
    }


# A rule that sends the patient towards the diagnostic pathway asks for the regional test
# package first (the GP as filter), so the assessment lists what is missing of it.
FILTER_INVESTIGATION = "diagnostic_pathway_tests"


def _ppv(facts: Facts) -> list[dict[str, Any]]:
    return [_ppv_finding(match) for match in ppv_findings(facts)]


# A PPV finding says what its table row says, whoever the patient: built once per row.
_PPV_FINDINGS: IdentityCache[dict[str, Any]] = IdentityCache()


def _ppv_finding(match: Any) -> dict[str, Any]:
    return _PPV_FINDINGS.get((match,), lambda: _build_ppv_finding(match))


def _build_ppv_finding(match: Any) -> dict[str, Any]:
    vocab = load_vocabulary()
    names_da = " + ".join(vocab.lookup(c).label("da").lower() for c in match.symptoms)
    names_en = " + ".join(vocab.lookup(c).label("en").lower() for c in match.symptoms)
    # Values under 1 % are published with two decimals; one would turn 0.09 into 0.1.
    digits = 2 if match.ppv_percent < 1 else 1
    pct_da = _da(match.ppv_percent, digits)
    pct_en = f"{match.ppv_percent:.{digits}f}"
    return _finding(
        "ppv",
        cancer_site=match.cancer_site,
        symptoms=list(match.symptoms),
        ppv_percent=match.ppv_percent,
        age_band=match.age_band,
        sex=match.sex,
        source=match.source.model_dump(),
        because=[{"input": "feature", "code": c} for c in match.symptoms],
        explanation={
            "da": f"I en publiceret undersøgelse i almen praksis havde {pct_da} % af "
            f"patienterne ({match.age_band}) med {names_da} "
            f"{site_name(match.cancer_site, 'da')}.",
            "en": "In a published primary-care study, "
            f"{pct_en}% of patients ({match.age_band}) with {names_en} "
            f"had {site_name(match.cancer_site, 'en')}.",
        },
    )


def _filter_package(context: PatientContext) -> list[dict[str, Any]]:
    missing = missing_filter_tests(context)
    if not missing:
        return []
    names_da = ", ".join(m.label["da"] for m in missing)
    names_en = ", ".join(m.label["en"] for m in missing)
    return [
        _finding(
            "filter_package",
            package=DEFAULT_PACKAGE,
            missing=[
                {
                    "test_id": m.test_id,
                    "label": {"da": m.label["da"], "en": m.label["en"]},
                    "reason": m.reason,
                    "codes": list(m.codes),
                    "newest": m.newest,
                    "age_days": m.age_days,
                    "max_age_days": m.max_age_days,
                    "max_age_sourced": m.max_age_sourced,
                }
                for m in missing
            ],
            because=[
                {"input": "package_test", "test": m.test_id, "reason": m.reason} for m in missing
            ],
            explanation={
                "da": "Før henvisning til diagnostisk pakkeforløb mangler eller er for gamle: "
                f"{names_da}.",
                "en": f"Before a diagnostic pathway referral, missing or too old: {names_en}.",
            },
        )
    ]


def _alternatives(matched: list[Any], *, without_rule: bool) -> list[dict[str, Any]]:
    entries = alternatives_for(
        cancer_sites=[r.cancer_site for r in matched],
        investigations=[r.investigation for r in matched],
        without_rule=without_rule,
    )
    return [
        _finding(
            "alternative",
            code=e.code,
            label={"da": e.labels.da, "en": e.labels.en},
            region=e.region,
            waiting_time=e.waiting_time,
            because=[{"input": "rule", "id": r.id} for r in matched]
            or [{"input": "signal", "without_rule": True}],
            explanation={"da": e.description.da, "en": e.description.en},
        )
        for e in entries
    ]
