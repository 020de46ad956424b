"""What the patient's doctor suggests they read: the trusted links a GP sent in answer to
what the patient read or asked (`services/review.trusted_link_answer`).

A read for the patient's own page (portal: `my_record`): each link once, the newest
answer first, with its title in the page's language where the catalogue has one, its
publisher and its address. Links since taken out of the catalogue are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.http import Http404
from django.utils import translation

from opspor.accounts.models import Role, User
from opspor.portal.models import PreparationState, TrustedLinkAnswer
from opspor.portal.trusted import load_catalogue
from opspor.records.models import Patient
from opspor.records.services import record_read_log


@dataclass(frozen=True)
class Suggested:
    title: str
    publisher: str
    url: str
    domain: str
    at: datetime


def my_trusted_links(*, user: User, patient: Patient) -> list[Suggested]:
    """The links the patient's doctors sent them, newest first.

    Only the patient themself may read this (404 for anyone else). The read is logged when
    there is something to show, like every read of a record.
    """
    if not (user.is_active and user.role == Role.PATIENT and patient.user_id == user.pk):
        raise Http404("No such patient")
    answers = TrustedLinkAnswer.objects.filter(
        preparation__patient=patient, preparation__state=PreparationState.SENT
    ).order_by("-at", "-pk")
    catalogue = load_catalogue()
    language = (translation.get_language() or "da").split("-")[0]
    shown: dict[str, Suggested] = {}
    for answer in answers:
        link = catalogue.get(answer.link)
        if link is None or link.key in shown:
            continue
        shown[link.key] = Suggested(
            title=link.title(language),
            publisher=link.publisher,
            url=link.url,
            domain=urlsplit(link.url).hostname or "",
            at=answer.at,
        )
    if not shown:
        return []
    record_read_log(user=user, patient=patient, what="own trusted links")
    return list(shown.values())
