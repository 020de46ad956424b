"""The engine's findings as CDS Hooks cards: few, grouped, each with its source.

Prompt fatigue is the known failure of earlier electronic cancer decision support in general
practice: GPs piloting the eRAT prompts for lung and colorectal cancer described it in
interviews (Dikomitis, Green, Macleod, "Embedding electronic decision-support tools for
suspected cancer in primary care: a qualitative study of GPs' experiences", Prim Health Care
Res Dev 2015;16(6):548-55, doi:10.1017/S1463423615000109). So the service answers with at
most `MAX_CARDS` cards, one per kind of finding, never one per rule:

- guideline criteria met (all of them on one card, the most pressing first);
- signals in the contacts: a pattern break, a return after a long absence, low continuity
  or a patient the caller has not seen in the last two years;
- the tests missing before a diagnostic pathway referral.

The indicator rule (`indicator_for`): `warning` only for a criterion whose recommendation
is a referral at least as pressing as NG12's urgent referral (immediate, within 48 hours,
suspected cancer pathway, consider a pathway referral, urgent referral, urgent investigation
or referral, a test within 48 hours), and for a pattern break in the contacts; everything
else is `info`. Opspor never answers `critical`: it supports the GP's judgement and is not a
reason to interrupt them. No finding, no card: the answer is then ``{"cards": []}``, which
says nothing about the patient beyond "nothing recorded met a rule".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import formats, translation

from opspor.engine.assessment import Assessment
from opspor.engine.filter_package import load_filter_packages
from opspor.engine.urgency import urgency_key
from opspor.records.templatetags.overview import (
    clinical_language,
    in_language,
    missing_tests,
    recommendation_label,
    ruleset_label,
    site_label,
    source_url,
)

MAX_CARDS = 3
SUMMARY_MAX = 139  # CDS Hooks: a summary of fewer than 140 characters
SOURCE_LABEL_MAX = 120  # "a short, human-readable label"; the full citation is in the detail

# Opspor's own topics for `source.topic`; CDS Hooks prescribes no set.
TOPIC_SYSTEM = "https://opspor.dk/fhir/CodeSystem/cds-card-topic"

# The least pressing recommendation still drawn as a warning.
_WARNING_RANK = urgency_key("urgent_referral")[0]

_TEXTS: dict[str, dict[str, str]] = {
    "criteria_topic": {"da": "Retningslinjekriterier opfyldt", "en": "Guideline criteria met"},
    "criteria_one": {
        "da": "{ruleset}: 1 kriterium opfyldt: {first}",
        "en": "{ruleset}: 1 criterion met: {first}",
    },
    "criteria_many": {
        "da": "{ruleset}: {n} kriterier opfyldt, først: {first}",
        "en": "{ruleset}: {n} criteria met, first: {first}",
    },
    "signals_topic": {"da": "Signaler i kontakterne", "en": "Signals in the contacts"},
    "signals": {"da": "Signaler i kontakterne: {names}", "en": "Signals in the contacts: {names}"},
    "signals_source": {
        "da": "Opspor: signaler beregnet af de registrerede kontakter",
        "en": "Opspor: signals computed from the recorded contacts",
    },
    "pattern_break": {"da": "mønsterbrud", "en": "pattern break"},
    "long_absence": {"da": "tilbage efter lang tids fravær", "en": "return after a long absence"},
    "low_continuity": {"da": "lav kontinuitet", "en": "low continuity"},
    "new_to_you": {"da": "ikke set af dig før", "en": "not seen by you before"},
    "missing_topic": {
        "da": "Manglende undersøgelser før henvisning",
        "en": "Tests missing before referral",
    },
    "missing": {
        "da": "Før henvisning til diagnostisk pakkeforløb mangler {n} undersøgelse(r)",
        "en": "Before a diagnostic pathway referral, {n} test(s) missing or too old",
    },
    "not_taken": {"da": "Ikke taget", "en": "Not taken"},
    "too_old": {"da": "For gamle", "en": "Too old"},
    "support": {
        "da": "Opspor støtter din kliniske vurdering; det afgør intet. Det læser kun det "
        "registrerede, som EHR'et sendte det.",
        "en": "Opspor supports your clinical judgement; it does not decide. It reads only "
        "what is recorded, as the EHR sent it.",
    },
    "link": {"da": "Åbn patientoverblikket i Opspor", "en": "Open the patient overview in Opspor"},
    "link_case": {"da": "Åbn sagen i Opspor", "en": "Open the case in Opspor"},
}


def _t(key: str, lang: str, **values: Any) -> str:
    return _TEXTS[key][lang].format(**values)


def _shorter(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def summary_of(text: str) -> str:
    return _shorter(text, SUMMARY_MAX)


def _signal_name(finding: Any, lang: str) -> str:
    if finding.kind != "continuity":
        return _t(finding.kind, lang)
    return _t("low_continuity" if finding.low_continuity else "new_to_you", lang)


def _markdown(text: str) -> str:
    # The engine's texts are plain; keep them from being read as markup.
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


@dataclass(frozen=True)
class AppLink:
    """Where in Opspor the card's link leads, as an absolute URL."""

    url: str
    to_case: bool = False


def criterion_alerts(recommendation: str, within_days: int | None) -> bool:
    """A criterion drawn as a warning: a referral as pressing as an urgent referral, or
    anything within NG12's 48 hours."""
    # urgency_key ranks a test within 48 hours with the very urgent referrals.
    return urgency_key(recommendation, within_days)[0] <= _WARNING_RANK


def indicator_for(kind: str, findings: list[Any]) -> str:
    """The card's indicator, by the rule in the module's docstring."""
    if kind == "criteria":
        alerting = any(criterion_alerts(f.recommendation, f.within_days) for f in findings)
        return "warning" if alerting else "info"
    if kind == "signals":
        return "warning" if any(f.kind == "pattern_break" for f in findings) else "info"
    return "info"


def _card(
    *,
    key: str,
    hook_instance: str,
    summary: str,
    detail: str,
    indicator: str,
    source: dict[str, Any],
    topic: str,
    lang: str,
    link: AppLink,
) -> dict[str, Any]:
    source = {k: v for k, v in source.items() if v}
    source["topic"] = {"system": TOPIC_SYSTEM, "code": key, "display": _t(topic, lang)}
    return {
        # Stable for one hook call, so that a client's feedback can name the card.
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"opspor:cds:{hook_instance}:{key}")),
        "summary": summary_of(summary),
        "detail": detail,
        "indicator": indicator,
        "source": source,
        "links": [
            {
                "label": _t("link_case" if link.to_case else "link", lang),
                "url": link.url,
                "type": "absolute",
            }
        ],
    }


def _criteria_card(assessment: Assessment, lang: str, hook: str, link: AppLink) -> Any:
    criteria = sorted(
        (f for f in assessment.findings if f.kind == "guideline_criterion"),
        key=lambda f: urgency_key(f.recommendation, f.within_days, f.strength),
    )
    if not criteria:
        return None
    first = criteria[0]
    action = recommendation_label(first.recommendation, first.within_days)
    headline = f"{action} ({site_label(first.cancer_site).lower()})"
    ruleset = ruleset_label(assessment.ruleset)
    summary = (
        _t("criteria_one", lang, ruleset=ruleset, first=headline)
        if len(criteria) == 1
        else _t("criteria_many", lang, ruleset=ruleset, n=len(criteria), first=headline)
    )
    lines = []
    for f in criteria:
        label = recommendation_label(f.recommendation, f.within_days)
        where = f"{f.source.title}, {f.source.recommendation_number}".strip(", ")
        url = source_url(f.source)
        cited = f"[{_markdown(where)}]({url})" if url else _markdown(where)
        line = (
            f"- **{_markdown(label)}** ({_markdown(site_label(f.cancer_site))}): "
            f"{_markdown(in_language(f.explanation))} ({cited})"
        )
        if f.clinical_judgement is not None:
            line += f"\n  {_markdown(in_language(f.clinical_judgement))}"
        lines.append(line)
    lines.append("")
    lines.append(_t("support", lang))
    return _card(
        key="criteria",
        hook_instance=hook,
        summary=summary,
        detail="\n".join(lines),
        indicator=indicator_for("criteria", criteria),
        source={
            "label": _shorter(first.source.title, SOURCE_LABEL_MAX),
            "url": source_url(first.source),
        },
        topic="criteria_topic",
        lang=lang,
        link=link,
    )


def _shown_signals(assessment: Assessment) -> list[Any]:
    # Continuity is shown, as on the overview, only when it says something: low, or a
    # clinician who has not seen the patient before.
    found: list[Any] = list(assessment.findings)
    return [
        f
        for kind in ("pattern_break", "long_absence", "continuity")
        for f in found
        if f.kind == kind
        and (kind != "continuity" or f.low_continuity or f.known_provider is False)
    ]


def _signals_card(assessment: Assessment, lang: str, hook: str, link: AppLink) -> Any:
    signals = _shown_signals(assessment)
    if not signals:
        return None
    names = ", ".join(_signal_name(f, lang) for f in signals)
    detail = "\n".join(
        f"- **{_markdown(_signal_name(f, lang).capitalize())}**: "
        f"{_markdown(in_language(f.explanation))}"
        for f in signals
    )
    return _card(
        key="signals",
        hook_instance=hook,
        summary=_t("signals", lang, names=names),
        detail=detail + "\n\n" + _t("support", lang),
        indicator=indicator_for("signals", signals),
        source={"label": _t("signals_source", lang)},
        topic="signals_topic",
        lang=lang,
        link=link,
    )


def _missing_card(assessment: Assessment, lang: str, hook: str, link: AppLink) -> Any:
    packages = [f for f in assessment.findings if f.kind == "filter_package"]
    if not packages:
        return None
    lines = []
    count = 0
    for package in packages:
        shown = missing_tests(package)
        count += len(package.missing)
        if shown.absent:
            lines.append(f"- {_t('not_taken', lang)}: {_markdown(', '.join(shown.absent))}")
        if shown.too_old:
            old = ", ".join(
                f"{name} ({formats.date_format(day, 'SHORT_DATE_FORMAT')})" if day else name
                for name, day in shown.too_old
            )
            lines.append(f"- {_t('too_old', lang)}: {_markdown(old)}")
    provenance = load_filter_packages()[packages[0].package].provenance
    return _card(
        key="missing-tests",
        hook_instance=hook,
        summary=_t("missing", lang, n=count),
        detail="\n".join(lines),
        indicator="info",
        source={"label": _shorter(provenance.title, SOURCE_LABEL_MAX), "url": provenance.url},
        topic="missing_topic",
        lang=lang,
        link=link,
    )


def cards_for(assessment: Assessment, *, hook_instance: str, link: AppLink) -> list[dict[str, Any]]:
    """At most `MAX_CARDS` cards for the assessment, in the language of the request (Danish
    or English, the two the engine writes); none when nothing was found."""
    lang = clinical_language()
    with translation.override(lang):
        cards = [
            build(assessment, lang, hook_instance, link)
            for build in (_criteria_card, _signals_card, _missing_card)
        ]
    return [card for card in cards if card is not None][:MAX_CARDS]
