"""The patient's preparation for a consultation (*forberedelse til konsultationen*).

Study findings 1, 7 and 9: patients want to arrive prepared for a ten-minute consultation
and be taken seriously; symptoms told "not in the words of the book" are hard to read. The
patient picks symptoms in plain words (and on a body map), keeps their own words beside
each, keeps a short diary, says what worries them and why, what they read online or asked
an AI, their three questions, and whether they need an interpreter. Each choice is stored
as the vocabulary's code, so the GP reads it in Danish whatever language it was written in.

Nothing here is part of the clinical record: what the patient reports stays marked as
patient-reported until a GP confirms it into the record (`confirmed_*` fields), one item at
a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opspor.casework.models import CaseEvent
from opspor.records.models import FamilyHistory, OccupationalExposure, Patient, Symptom

# Documented limits of what the patient may write (README of this app, and the forms).
OWN_WORDS_LENGTH = 1_000  # a symptom, a worry, what they read: a paragraph
QUESTION_LENGTH = 300  # one question, not a letter
URL_LENGTH = 500
MAX_SYMPTOMS = 12  # more than a ten-minute consultation can take; the page says so
MAX_READINGS = 5
MAX_RISK_FACTORS = 12
DIARY_DAYS = 28  # the diary covers the last four weeks


class PreparationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the practice")


class Started(models.TextChoices):
    """When a symptom started, in the words a patient can answer. The lower bound of each
    band is what the record's onset becomes when the GP confirms the symptom."""

    THIS_WEEK = "this_week", _("In the last week")
    WEEKS = "weeks", _("1 to 3 weeks ago")
    MONTHS = "months", _("3 weeks to 3 months ago")
    LONG_AGO = "long_ago", _("More than 3 months ago")
    DONT_KNOW = "dont_know", _("I do not know")


# Days before the day it was written that each band starts at the latest: the GP's
# confirmed onset is never later than what the patient said (a band's lower bound).
STARTED_DAYS_AGO: dict[str, int] = {
    Started.THIS_WEEK: 0,
    Started.WEEKS: 7,
    Started.MONTHS: 22,  # "more than 3 weeks": NG12 1.8.2's reading of a lasting symptom
    Started.LONG_AGO: 92,
    Started.DONT_KNOW: 0,
}


class DailyLife(models.TextChoices):
    NOT_AT_ALL = "not_at_all", _("Not at all")
    A_LITTLE = "a_little", _("A little")
    A_LOT = "a_lot", _("A lot")
    CANNOT = "cannot", _("I cannot do my usual things")


class ReadingSource(models.TextChoices):
    WEBSITE = "website", _("A website")
    AI = "ai", _("An AI chat")
    OTHER = "other", _("Somewhere else")


class RiskKind(models.TextChoices):
    FAMILY = "family", _("A relative with cancer")
    EXPOSURE = "exposure", _("Something at work")


class Preparation(models.Model):
    """One preparation for one consultation. A patient has at most one draft at a time;
    sending it to the practice freezes it, and the next preparation starts a new draft."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="preparations")
    state = models.CharField(
        max_length=8, choices=PreparationState.choices, default=PreparationState.DRAFT
    )
    # The language the patient wrote in: their own words are shown in it, beside Danish.
    language = models.CharField(max_length=8)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    worry_words = models.TextField(blank=True, help_text=_("What worries me and why"))
    experiences = models.TextField(blank=True, help_text=_("Earlier experiences"))
    question_1 = models.CharField(max_length=QUESTION_LENGTH, blank=True)
    question_2 = models.CharField(max_length=QUESTION_LENGTH, blank=True)
    question_3 = models.CharField(max_length=QUESTION_LENGTH, blank=True)
    # None: not answered yet (a draft); the page asks before it can be sent.
    interpreter_needed = models.BooleanField(null=True, blank=True)
    interpreter_language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["patient", "state"], name="preparation_patient_idx")]
        constraints = [
            models.CheckConstraint(
                name="preparation_state_is_known",
                condition=Q(state__in=PreparationState.values),
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(state=PreparationState.DRAFT),
                name="one_draft_preparation_per_patient",
            ),
            models.CheckConstraint(
                name="sent_preparation_has_time",
                condition=Q(state=PreparationState.DRAFT) | Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Preparation {self.pk} ({self.state})"

    @property
    def questions(self) -> list[str]:
        return [q for q in (self.question_1, self.question_2, self.question_3) if q]


class PreparationEvent(CaseEvent):
    """The preparation's audit trail: started, sent, and each item a GP confirmed into the
    record or answered (the item is named in `reason`)."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="events")

    def __str__(self) -> str:
        return f"preparation #{self.preparation_id}: {self.action}"


class PreparedSymptom(models.Model):
    """A symptom the patient reports, as the vocabulary's code with their own words."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="symptoms")
    code = models.SlugField(max_length=60)
    # Which plain-words choice the patient picked (the catalogue's key), and where.
    choice = models.SlugField(max_length=60)
    body_area = models.SlugField(max_length=40, blank=True)
    own_words = models.TextField(blank=True)
    started = models.CharField(max_length=10, choices=Started.choices, blank=True)
    comes_and_goes = models.BooleanField(null=True, blank=True)
    better_or_worse = models.TextField(blank=True, help_text=_("What makes it better or worse"))
    daily_life = models.CharField(max_length=12, choices=DailyLife.choices, blank=True)
    confirmed_as = models.OneToOneField(
        Symptom, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["preparation", "choice", "body_area"], name="one_choice_per_area"
            ),
            models.CheckConstraint(
                name="prepared_symptom_started_is_known",
                condition=Q(started="") | Q(started__in=Started.values),
            ),
            models.CheckConstraint(
                name="prepared_symptom_daily_life_is_known",
                condition=Q(daily_life="") | Q(daily_life__in=DailyLife.values),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class DiaryEntry(models.Model):
    """One day of the patient's symptom diary: how bad it was, 0 (not at all) to 10."""

    symptom = models.ForeignKey(PreparedSymptom, on_delete=models.CASCADE, related_name="diary")
    day = models.DateField()
    severity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["symptom", "day"], name="one_diary_entry_per_day"),
            models.CheckConstraint(
                name="diary_severity_0_to_10", condition=Q(severity__gte=0, severity__lte=10)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.severity}"


class PreparedRiskFactor(models.Model):
    """A reason for worry the engine can read: a relative with cancer, or a work exposure
    (study finding 1: a firefighter's smoke, a family history), with the patient's words."""

    preparation = models.ForeignKey(
        Preparation, on_delete=models.CASCADE, related_name="risk_factors"
    )
    kind = models.CharField(max_length=10, choices=RiskKind.choices)
    relation = models.CharField(max_length=20, choices=FamilyHistory.Relation.choices, blank=True)
    cancer_site = models.SlugField(max_length=40, blank=True)
    exposure = models.SlugField(max_length=40, blank=True)
    years = models.PositiveSmallIntegerField(null=True, blank=True)
    own_words = models.TextField(blank=True)
    confirmed_family = models.OneToOneField(
        FamilyHistory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_exposure = models.OneToOneField(
        OccupationalExposure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="risk_factor_is_complete",
                condition=(
                    Q(kind=RiskKind.FAMILY) & ~Q(relation="") & ~Q(cancer_site="") & Q(exposure="")
                )
                | (Q(kind=RiskKind.EXPOSURE) & ~Q(exposure="") & Q(relation="", cancer_site="")),
            ),
        ]

    def __str__(self) -> str:
        return self.cancer_site or self.exposure


class OnlineReading(models.Model):
    """What the patient read online or asked an AI (study finding 9), link or text."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="readings")
    source = models.CharField(max_length=8, choices=ReadingSource.choices)
    url = models.CharField(max_length=URL_LENGTH, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="reading_has_link_or_text", condition=~Q(url="") | ~Q(text="")
            ),
            models.CheckConstraint(
                name="reading_source_is_known", condition=Q(source__in=ReadingSource.values)
            ),
        ]

    def __str__(self) -> str:
        return self.source


class TrustedLinkAnswer(models.Model):
    """A GP's answer to what the patient read: a link from the trusted-information
    catalogue, shown on the patient's own page."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="answers")
    link = models.SlugField(max_length=60)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["preparation", "link"], name="one_answer_per_link"),
        ]

    def __str__(self) -> str:
        return self.link
