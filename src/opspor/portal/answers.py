"""What the patient's doctor suggests they read: the trusted links a GP sent in answer to
what the patient read or asked (`services/review.trusted_link_answer`).

A read for the patient's own page (portal: `my_record`): each link once, the newest
answer first, as the information page shows a link (`trusted.shown`: its title in the
page's language where the catalogue has one). Links since taken out of the catalogue are
not shown.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import translation

from opspor.accounts.models import Role, User
from opspor.portal.models import PreparationState, TrustedLinkAnswer
from opspor.portal.trusted import ShownLink, TrustedLink, load_catalogue, shown
from opspor.records.models import Patient
from opspor.records.services import record_read_log


def my_trusted_links(*, user: User, patient: Patient) -> list[ShownLink]:
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
    links: dict[str, TrustedLink] = {}
    for answer in answers:
        link = catalogue.get(answer.link)
        if link is not None:
            links.setdefault(link.key, link)
    if not links:
        return []
    record_read_log(user=user, patient=patient, what="own trusted links")
    language = (translation.get_language() or "da").split("-")[0]
    return shown(links.values(), language)
