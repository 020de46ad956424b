"""Turning an engine `Assessment` into what the GP's patient overview shows.

The engine speaks in codes and structured evidence; the overview must read at a glance in
the page's language. These tags do that translation and nothing else: they never add,
drop or reinterpret a finding, and a finding of a kind not known here is still shown, from
its own explanation, so that a new kind of finding reaches the GP without a template change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import template
from django.utils import formats, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from opspor.engine.rules.pathways import referable_pathways
from opspor.engine.signals.vulnerability import flag_label as engine_flag_label
from opspor.engine.urgency import urgency_key
from opspor.records.models import Sex, Smoking
from opspor.records.templatetags.clinical import cancer_site as _cancer_site_label
from opspor.records.templatetags.clinical import lab_value, vocab_label

register = template.Library()

# Finding kinds the overview places in a section of their own; every other kind is shown
# among the signals at the top, from its explanation.
PLACED_KINDS = frozenset(
    {"vulnerability", "guideline_criterion", "ppv", "filter_package", "alternative"}
)
SIGNAL_KINDS = ("long_absence", "pattern_break", "continuity", "new_symptom")

_SIGNAL_TITLES = {
    "long_absence": _("Return after a long absence"),
    "pattern_break": _("Pattern break"),
    "continuity": _("Continuity"),
    "new_symptom": _("New symptom"),
}

# The guideline's own kinds of action (engine/rules/schema.py), in its words.
_RECOMMENDATIONS = {
    "immediate_referral": _("Immediate referral (within hours)"),
    "very_urgent_referral": _("Very urgent referral (within 48 hours)"),
    "suspected_cancer_referral": _("Suspected cancer pathway referral"),
    "consider_referral": _("Consider a suspected cancer pathway referral"),
    "urgent_referral": _("Urgent referral"),
    "urgent_investigation_or_referral": _(
        "Urgent investigation or suspected cancer pathway referral"
    ),
    "urgent_investigation": _("Urgent investigation"),
    "non_urgent_investigation": _("Investigation (no urgency given)"),
    "non_urgent_referral": _("Non-urgent referral"),
    "referral": _("Referral (urgency not stated)"),
    "safety_net": _("Safety net: agree a follow-up"),
}
# NG12's "very urgent" is "within 48 hours" (its "Terms used"); the rule sets write it as an
# urgent investigation within 2 days, which the badge then names in NG12's words.
_VERY_URGENT_INVESTIGATION = _("Very urgent investigation (within 48 hours)")
_VERY_URGENT_DAYS = 2

_STRENGTHS = {
    "offer": _("Recommended"),
    "consider": _("Consider"),
}
_AGE_GROUPS = {
    "children": _("Children (0–15 years)"),
    "children_and_young_people": _("Children and young people (0–24 years)"),
}
_BADGES = {
    "immediate_referral": "badge-error",
    "very_urgent_referral": "badge-error",
    "suspected_cancer_referral": "badge-error",
    "consider_referral": "badge-warning",
    "urgent_referral": "badge-warning",
    "urgent_investigation_or_referral": "badge-warning",
    "urgent_investigation": "badge-warning",
}

_INVESTIGATIONS = {
    "chest_xray": _("Chest X-ray"),
    "ct_thorax_abdomen": _("CT of chest and abdomen"),
    "ct_abdomen": _("CT of the abdomen"),
    "full_blood_count": _("Full blood count"),
    "fit": _("FIT (faecal immunochemical test)"),
    "psa": _("PSA"),
    "ca125": _("CA-125"),
    "pelvic_ultrasound": _("Pelvic ultrasound"),
    "abdominal_pelvic_ultrasound": _("Ultrasound of abdomen and pelvis"),
    "abdominal_ultrasound": _("Abdominal ultrasound"),
    "renal_ultrasound": _("Ultrasound of the kidneys"),
    "testicular_ultrasound": _("Ultrasound of the testis"),
    "soft_tissue_ultrasound": _("Ultrasound of the lump"),
    "bone_xray": _("X-ray of the bone"),
    "mri_brain": _("MRI of the brain"),
    "endoscopy": _("Endoscopy"),
    "mammography": _("Mammography"),
    "blood_tests": _("Blood tests"),
    "urine_dipstick": _("Urine dipstick"),
    "calcium": _("Calcium"),
    "plasma_viscosity_or_esr": _("Plasma viscosity or ESR"),
    "serum_free_light_chains": _("Serum free light chains"),
    "ultrasound": _("Ultrasound"),
    "upper_gi_endoscopy": _("Upper GI endoscopy"),
    "serum_protein_electrophoresis": _("Serum protein electrophoresis"),
    "diagnostic_pathway_tests": _("The initial tests before the diagnostic pathway"),
}

# Sites the rule sets use that the record's list of diagnoses does not.
_EXTRA_SITES = {
    "anal": _("Anal cancer"),
    "mesothelioma": _("Mesothelioma"),
    "oesophageal": _("Oesophageal cancer"),
    "unspecified": _("Serious illness that could be cancer"),
    "gall_bladder": _("Gall bladder cancer"),
    "endometrial": _("Endometrial cancer"),
    "cervical": _("Cervical cancer"),
    "vulval": _("Vulval cancer"),
    "vaginal": _("Vaginal cancer"),
    "penile": _("Penile cancer"),
    "skin_scc": _("Squamous cell carcinoma of the skin"),
    "skin_bcc": _("Basal cell carcinoma of the skin"),
    "laryngeal": _("Laryngeal cancer"),
    "oral": _("Oral cancer"),
    "head_and_neck": _("Head and neck cancer"),
    "brain_cns": _("Brain or central nervous system cancer"),
    "bone_sarcoma": _("Bone sarcoma"),
    "soft_tissue_sarcoma": _("Soft tissue sarcoma"),
    "sarcoma": _("Sarcoma"),
    "neuroblastoma": _("Neuroblastoma"),
    "retinoblastoma": _("Retinoblastoma"),
    "wilms": _("Wilms' tumour"),
    "uterine": _("Cancer of the uterus"),
    "childhood_cancer": _("Childhood cancer"),
}

_SIGNAL_NAMES = {
    "pattern_break": _("pattern break in contacts"),
    "long_absence": _("return after a long absence"),
    "low_continuity": _("low continuity"),
    "medication_rise": _("marked rise in medicine use"),
}

# A weighted score in the words of the checklist it belongs to, by the rule that keeps it;
# a score of a rule not named here is still shown, in general words.
_SCORES = {
    "ng12-1.7.1-melanoma-7-point-checklist": _(
        "7-point checklist score %(points)s (refer at %(threshold)s or more)"
    ),
}

_RULESETS = {
    "dk-pakkeforloeb": _("Danish cancer pathways"),
    "nice-ng12": _("NICE NG12"),
}


def _language() -> str:
    return (translation.get_language() or "da").split("-")[0]


def clinical_language() -> str:
    """The language the engine's texts are shown in: Danish or English, the two it writes."""
    return "da" if _language() == "da" else "en"


@register.filter
def in_language(explanation: Any) -> str:
    """A text the engine gives in Danish and English, in the page's language where it can."""
    if explanation is None:
        return ""
    if isinstance(explanation, dict):
        return str(explanation.get(clinical_language()) or explanation.get("en") or "")
    return str(getattr(explanation, clinical_language(), "") or getattr(explanation, "en", ""))


@register.simple_tag
def clinical_lang() -> str:
    return clinical_language()


@register.filter
def ruleset_label(name: str) -> str:
    return str(_RULESETS.get(name, name))


def _very_urgent(code: str, within: int | None) -> bool:
    return code == "urgent_investigation" and within == _VERY_URGENT_DAYS


@register.filter
def recommendation_label(code: str, within: int | None = None) -> str:
    """The recommendation in the guideline's words; `within` its time frame in days."""
    if _very_urgent(code, within):
        return str(_VERY_URGENT_INVESTIGATION)
    return str(_RECOMMENDATIONS.get(code, code.replace("_", " ")))


@register.filter
def recommendation_badge(code: str, within: int | None = None) -> str:
    if _very_urgent(code, within):
        return _BADGES["very_urgent_referral"]
    return _BADGES.get(code, "badge-info")


@register.filter
def strength_label(code: str | None) -> str:
    label = _STRENGTHS.get(code or "")
    return str(label) if label is not None else ""


@register.filter
def age_group_label(code: str | None) -> str:
    """The age group a recommendation names, where it is not the adults' default."""
    label = _AGE_GROUPS.get(code or "")
    return str(label) if label is not None else ""


@register.filter
def investigations_label(codes: list[str] | None) -> str:
    return ", ".join(investigation_label(code) for code in codes or ())


@register.filter
def investigation_label(code: str | None) -> str:
    if not code:
        return ""
    label = _INVESTIGATIONS.get(code)
    return str(label) if label is not None else code.replace("_", " ")


@register.filter
def site_label(site: str) -> str:
    extra = _EXTRA_SITES.get(site)
    return str(extra) if extra is not None else _cancer_site_label(site)


@register.filter
def flag_label(code: str) -> str:
    """A vulnerability flag in the page's language, in the engine's own words for it."""
    return engine_flag_label(code, _language())


@register.filter
def within_days(days: int | None) -> str:
    if days is None:
        return ""
    return ngettext("within %(n)d day", "within %(n)d days", days) % {"n": days}


@register.filter
def percent(value: float) -> str:
    return formats.number_format(value, 1) + " %"


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            return None
    return None


def _short(value: object) -> str:
    day = _day(value)
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else str(value)


def _choice(choices: Any, value: object) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def evidence_words(item: dict[str, Any], rule_id: str = "") -> str:
    """One input a finding used, in words: "Cough, persistent, since 24.09.2026".

    `rule_id` names the rule the finding comes from, for the inputs whose words depend on it
    (a weighted score is the score of that rule's checklist).
    """
    kind = item.get("input")
    code = str(item.get("code", ""))
    if kind == "score" and "points" in item and "threshold" in item:
        words = _SCORES.get(rule_id)
        text = (
            str(words)
            if words is not None
            else gettext("Score %(points)s (met at %(threshold)s or more)")
        )
        return text % {"points": item["points"], "threshold": item["threshold"]}
    if kind == "age":
        return gettext("Age %(n)s") % {"n": item["value"]}
    if kind == "sex":
        return _choice(Sex, item.get("value"))
    if kind == "smoking":
        return _choice(Smoking, item.get("value"))
    if kind == "occupational_exposure":
        return gettext("Exposure: %(what)s") % {"what": vocab_label(code)}
    if kind == "family_history":
        return gettext("Cancer in the family: %(site)s") % {
            "site": site_label(str(item.get("cancer_site", "")))
        }
    if kind == "symptom":
        parts = [vocab_label(code)]
        if item.get("persistent"):
            parts.append(gettext("persistent"))
        if item.get("recurrent"):
            parts.append(gettext("recurrent"))
        if item.get("onset"):
            parts.append(gettext("since %(day)s") % {"day": _short(item["onset"])})
        return ", ".join(parts)
    if kind == "finding":
        return f"{vocab_label(code)} ({_short(item.get('date'))})"
    if kind == "lab":
        value = item.get("value")
        shown = lab_value(value) if isinstance(value, int | float) else str(value)
        return f"{vocab_label(code)} {shown} {item.get('unit', '')} ({_short(item.get('date'))})"
    if kind == "signal":
        name = str(item.get("name", ""))
        return str(_SIGNAL_NAMES.get(name, name.replace("_", " ")))
    # An input this page does not know yet is still shown, as the engine wrote it.
    rest = ", ".join(f"{k}: {v}" for k, v in item.items() if k != "input")
    return f"{kind}: {rest}" if rest else str(kind)


@register.filter
def because_words(because: list[dict[str, Any]], rule_id: str = "") -> list[str]:
    return [evidence_words(item, rule_id) for item in because or ()]


@dataclass
class Signal:
    kind: str
    title: str
    text: str
    level: str  # "warning" draws the eye; "info" is context
    lang: str = ""  # the language of `text`: the engine's, or the page's when composed here


@register.simple_tag
def overview_signals(assessment: Any) -> list[Signal]:
    """The signals shown at the top, the plainest first; unknown kinds shown as written."""
    findings = list(assessment.findings)
    signals: list[Signal] = []
    for kind in ("long_absence", "pattern_break", "continuity"):
        for f in findings:
            if f.kind != kind:
                continue
            warn = kind != "continuity" or f.low_continuity or f.known_provider is False
            signals.append(
                Signal(
                    kind,
                    str(_SIGNAL_TITLES[kind]),
                    in_language(f.explanation),
                    "warning" if warn else "info",
                    clinical_language(),
                )
            )
    # The engine reports a symptom once per recorded episode; one line per symptom is enough.
    new: dict[str, Any] = {}
    for f in findings:
        if f.kind == "new_symptom":
            new.setdefault(f.symptom, f)
    if len(new) == 1:
        only = next(iter(new.values()))
        signals.append(
            Signal(
                "new_symptom",
                str(_SIGNAL_TITLES["new_symptom"]),
                in_language(only.explanation),
                "warning",
                clinical_language(),
            )
        )
    elif new:
        labels = ", ".join(vocab_label(code).lower() for code in new)
        signals.append(
            Signal(
                "new_symptom",
                gettext("New symptoms"),
                gettext(
                    "Not explained by the patient's known chronic conditions or medicines: "
                    "%(symptoms)s."
                )
                % {"symptoms": labels},
                "warning",
                _language(),
            )
        )
    known = set(SIGNAL_KINDS) | PLACED_KINDS
    for f in findings:
        if f.kind not in known:
            title = str(f.kind).replace("_", " ").capitalize()
            signals.append(
                Signal(str(f.kind), title, in_language(f.explanation), "info", clinical_language())
            )
    return signals


@register.simple_tag
def findings_of(assessment: Any, kind: str) -> list[Any]:
    return [f for f in assessment.findings if f.kind == kind]


@register.simple_tag
def criteria_of(assessment: Any) -> list[Any]:
    criteria = [f for f in assessment.findings if f.kind == "guideline_criterion"]
    return sorted(
        criteria,
        key=lambda f: urgency_key(
            f.recommendation, f.within_days, getattr(f, "strength", "offer") or "offer"
        ),
    )


@dataclass
class MissingTests:
    absent: list[str]
    too_old: list[tuple[str, date | None]]


@register.simple_tag
def missing_tests(package: Any) -> MissingTests:
    """The filter package's missing tests: those never taken in one line, the stale ones dated."""
    absent: list[str] = []
    too_old: list[tuple[str, date | None]] = []
    for test in package.missing:
        name = in_language(getattr(test, "label", None)) or str(
            getattr(test, "test_id", None) or getattr(test, "code", "")
        )
        if test.reason == "too_old":
            newest = getattr(test, "newest", None) or getattr(test, "last_date", None)
            too_old.append((name, newest))
        else:
            absent.append(name)
    return MissingTests(absent, too_old)


@register.simple_tag
def vulnerability_flags(assessment: Any) -> list[str]:
    flags: list[str] = []
    for f in assessment.findings:
        if f.kind == "vulnerability":
            flags += [flag for flag in f.flags if flag not in flags]
    return flags


# Sources of published values: the engine's source objects differ by table, so read them
# by what they have rather than by one fixed shape.


@register.filter
def source_url(source: Any) -> str:
    url = str(getattr(source, "doi_or_url", None) or getattr(source, "url", None) or "")
    if url.startswith("10."):  # a bare DOI
        return f"https://doi.org/{url}"
    return url if url.startswith(("https://", "http://")) else ""


@register.filter
def source_name(source: Any) -> str:
    who = getattr(source, "authors", None) or getattr(source, "title", None) or ""
    year = getattr(source, "year", None)
    return f"{who} {year}" if year else str(who)


@register.simple_tag
def common_source(criteria: list[Any]) -> Any:
    """The source all criteria share (one rule set cites one guideline), or None.

    Shown once above the criteria, it leaves each criterion with only its own
    recommendation number, instead of the same title and version repeated on every card.
    """
    if not criteria:
        return None
    first = criteria[0].source
    key = (first.title, first.url, first.version)
    same = all((c.source.title, c.source.url, c.source.version) == key for c in criteria)
    return first if same else None


@register.simple_tag
def unchecked_pathways(ruleset: str) -> list[str]:
    """The Danish pathways whose entry criteria Opspor does not have, by name, so that the
    overview never reads as having checked them."""
    if ruleset != "dk-pakkeforloeb":
        return []
    lang = clinical_language()
    return [
        p.title.get(lang)
        for p in referable_pathways()
        if p.criteria in ("not_found", "not_encoded")
    ]
