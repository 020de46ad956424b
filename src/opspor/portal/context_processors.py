"""What every page a patient sees has in the same place (WCAG 2.2, 3.2.6 consistent help):
how to reach their practice, and, in a language whose texts nobody fluent in it has
reviewed, a note that says so (`locale/review.yaml`).

Nothing of the record is read here: only the name and public phone number of the
patient's own practice, for the help at the foot of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.utils import translation

from opspor.accounts.models import Role, User
from opspor.languages import load_reviews
from opspor.records.models import Practice


@dataclass
class PatientPage:
    user: User

    @cached_property
    def practice(self) -> Practice | None:
        # Only when the page shows it: an htmx fragment renders without the foot.
        patient = getattr(self.user, "patient", None)
        return patient.practice if patient is not None else None

    @cached_property
    def unreviewed_language(self) -> str:
        """The page's language in its own words (e.g. "دری") when the page should say that
        its translation is unchecked, else ""."""
        code = translation.get_language() or ""
        review = load_reviews().for_language(code)
        if review is None or not review.patient_note:
            return ""
        return str(translation.get_language_info(code)["name_local"])


def patient_page(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.role == Role.PATIENT:
        return {"patient_page": PatientPage(user)}
    return {}
