"""Trustworthy information for the patient's own situation (portal: `information`).

From the catalogue (`trusted.py`): first the links about the patient's own symptoms (those
recorded in the last year, and those they reported in a preparation for a consultation),
then the links about the pathway of each of their open or recently decided referrals, then
the general ones. A page about a cancer pathway is shown only to a patient referred to that
pathway; a symptom's links are about the symptom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone, translation

from opspor.accounts.models import User
from opspor.engine.rules.pathways import listed_pathways
from opspor.portal.models import PreparedSymptom
from opspor.portal.my_safety_nets import own_patient_check
from opspor.portal.patient_status import referral_steps
from opspor.portal.trusted import ShownLink, load_catalogue, shown
from opspor.records.context import SYMPTOM_DAYS
from opspor.records.models import Patient, Symptom
from opspor.records.services import record_read_log
from opspor.records.templatetags.clinical import vocab_label


@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    links: list[ShownLink]


@dataclass
class MyInformation:
    symptoms: list[Topic] = field(default_factory=list)
    symptoms_without_links: list[str] = field(default_factory=list)  # labels
    pathways: list[Topic] = field(default_factory=list)
    general: list[ShownLink] = field(default_factory=list)


def _language() -> str:
    return (translation.get_language() or "da").split("-")[0]


def _symptom_codes(patient: Patient, now: datetime) -> list[str]:
    """The patient's symptoms, most recent first: recorded in the last year, and reported
    in their own preparations (a draft included: it is the patient's own words)."""
    since = timezone.localdate(now) - timedelta(days=SYMPTOM_DAYS)
    recorded = Symptom.objects.filter(patient=patient, recorded_on__gte=since).order_by(
        "-recorded_on", "-pk"
    )
    reported = PreparedSymptom.objects.filter(preparation__patient=patient).order_by(
        "-preparation__started_at", "pk"
    )
    codes = [s.code for s in recorded] + [s.code for s in reported]
    return list(dict.fromkeys(codes))


def my_information(*, user: User, patient: Patient, now: datetime | None = None) -> MyInformation:
    """The links for the patient's own symptoms and pathways, then the general ones.

    Only the patient themself may read this (404 for anyone else). Reading their symptoms
    and referrals is logged when the page shows links for them.
    """
    own_patient_check(user, patient)
    now = now or timezone.now()
    language = _language()
    catalogue = load_catalogue()
    information = MyInformation(general=shown(catalogue.general(), language))

    for code in _symptom_codes(patient, now):
        links = catalogue.for_symptoms([code])
        if links:
            information.symptoms.append(Topic(code, vocab_label(code), shown(links, language)))
        else:
            information.symptoms_without_links.append(vocab_label(code))

    titles = {p.code: p.title for p in listed_pathways()}
    pathways = dict.fromkeys(step.referral.pathway for step in referral_steps(patient, now))
    for code in pathways:
        links = catalogue.for_pathways([code])
        if links and code in titles:
            # Like the links' titles: English in English, the official Danish name otherwise.
            label = titles[code].en if language == "en" else titles[code].da
            information.pathways.append(Topic(code, label, shown(links, language)))

    if information.symptoms or information.symptoms_without_links or information.pathways:
        record_read_log(user=user, patient=patient, what="own information links")
    return information
