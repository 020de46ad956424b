"""The patient's latest sent preparation as the GP reads it: one screen, most important
first (their questions, their symptoms with their own words, what the engine would find
with them), in the GP's language, with the patient's words in the language they wrote.

Reads only; the overview panel (`panels.py`) shows it, and the overview has checked access
to the patient. Free text is returned as written: the templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from django.db.models import Prefetch
from django.utils import translation

from opspor.portal.diary_chart import DiaryChart, diary_chart
from opspor.portal.models import (
    DiaryEntry,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    ReadingSource,
    TrustedLinkAnswer,
)
from opspor.portal.reported import ReadSymptom, read_symptom, sent_day
from opspor.portal.trusted import TrustedLink, load_catalogue
from opspor.records.models import Patient

# Languages written right to left among those patients in the region write (Arabic, Dari
# and Persian, Pashto, Urdu, Kurdish in Arabic script (Sorani), Hebrew).
RTL_LANGUAGES = frozenset({"ar", "fa", "prs", "ps", "ur", "ckb", "he"})
# The portal's code for Dari is Django's form of it (`fa-af`); the record's is ISO 639-3.
_LANGUAGE_ALIASES = {"fa-af": "prs"}


def base_language(code: str) -> str:
    code = (code or "").lower()
    return _LANGUAGE_ALIASES.get(code, code.split("-")[0])


def text_direction(code: str) -> str:
    """`rtl` or `ltr`, for the `dir` of text written in the language `code`."""
    return "rtl" if base_language(code) in RTL_LANGUAGES else "ltr"


def latest_sent(patient: Patient) -> Preparation | None:
    """The patient's most recently sent preparation, with everything the summary shows."""
    return (
        Preparation.objects.filter(patient=patient, state=PreparationState.SENT)
        .prefetch_related(
            Prefetch(
                "symptoms",
                queryset=PreparedSymptom.objects.select_related("confirmed_by__clinician")
                .prefetch_related(Prefetch("diary", queryset=DiaryEntry.objects.order_by("day")))
                .order_by("pk"),
            ),
            Prefetch(
                "risk_factors",
                queryset=PreparedRiskFactor.objects.select_related(
                    "confirmed_by__clinician"
                ).order_by("pk"),
            ),
            "readings",
            Prefetch("answers", queryset=TrustedLinkAnswer.objects.select_related("by")),
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class SymptomRow:
    item: PreparedSymptom
    read: ReadSymptom  # the onset and flags the record would get (`reported.py`)

    @property
    def confirmed(self) -> bool:
        return self.item.confirmed_at is not None


@dataclass(frozen=True)
class ReadingRow:
    source: str
    url: str
    domain: str  # the host, in its ASCII form, so a look-alike name shows as such
    linkable: bool  # an http(s) address with a host; anything else is shown as text only
    text: str

    @property
    def is_ai(self) -> bool:
        return self.source == ReadingSource.AI


def reading_row(source: str, url: str, text: str) -> ReadingRow:
    url = url.strip()
    domain = ""
    linkable = False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if host:
        try:
            domain = host.encode("idna").decode("ascii")
        except UnicodeError:
            domain = host
        linkable = parts is not None and parts.scheme in ("http", "https")
    return ReadingRow(source=source, url=url, domain=domain, linkable=linkable, text=text)


@dataclass(frozen=True)
class SentLink:
    link: TrustedLink
    at: datetime


@dataclass(frozen=True)
class LinkChoice:
    link: TrustedLink
    suggested: bool  # the catalogue has it for one of the prepared symptoms


@dataclass(frozen=True)
class Summary:
    preparation: Preparation
    sent_on: date
    lang: str  # the language the patient wrote in, for `lang=` on their words
    dir: str
    symptoms: list[SymptomRow]
    risk_factors: list[PreparedRiskFactor]
    chart: DiaryChart | None
    readings: list[ReadingRow]
    questions: list[str]
    sent_links: list[SentLink]
    link_choices: list[LinkChoice]  # suggested first; those already sent left out

    @property
    def suggested_links(self) -> list[LinkChoice]:
        return [choice for choice in self.link_choices if choice.suggested]

    @property
    def other_links(self) -> list[LinkChoice]:
        return [choice for choice in self.link_choices if not choice.suggested]

    @property
    def unconfirmed(self) -> int:
        return sum(not row.confirmed for row in self.symptoms) + sum(
            r.confirmed_at is None for r in self.risk_factors
        )


def link_choices(symptom_codes: list[str], sent: set[str]) -> list[LinkChoice]:
    catalogue = load_catalogue()
    suggested = [link for link in catalogue.for_symptoms(symptom_codes) if link.key not in sent]
    keys = {link.key for link in suggested}
    rest = [link for link in catalogue.links if link.key not in keys and link.key not in sent]
    return [LinkChoice(link, True) for link in suggested] + [
        LinkChoice(link, False) for link in rest
    ]


def summary(preparation: Preparation) -> Summary:
    sent_on = sent_day(preparation)
    symptoms = list(preparation.symptoms.all())
    chart = diary_chart(
        [(s.code, [(e.day, e.severity) for e in s.diary.all()]) for s in symptoms], end=sent_on
    )
    catalogue = load_catalogue()
    sent: list[SentLink] = []
    for answer in preparation.answers.all():
        link = catalogue.get(answer.link)
        if link is not None:  # a link since taken out of the catalogue is not offered again
            sent.append(SentLink(link=link, at=answer.at))
    return Summary(
        preparation=preparation,
        sent_on=sent_on,
        lang=preparation.language or translation.get_language() or "da",
        dir=text_direction(preparation.language),
        symptoms=[SymptomRow(item=s, read=read_symptom(s, sent_on=sent_on)) for s in symptoms],
        risk_factors=list(preparation.risk_factors.all()),
        chart=chart,
        readings=[reading_row(r.source, r.url, r.text) for r in preparation.readings.all()],
        questions=preparation.questions,
        sent_links=sent,
        link_choices=link_choices(
            [s.code for s in symptoms], {answer.link for answer in preparation.answers.all()}
        ),
    )
