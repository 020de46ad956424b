"""The clinical record: the region, its practices and diagnostic units, the patients, and
the log of every read of a patient's record.

Every clinical row keeps its history (who changed what, when) through django-simple-history.
`__str__` never shows a name or a CPR number, because model instances end up in log lines
and error reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from opspor.records import cpr as cpr_numbers
from opspor.records.access_log import Channel


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Smoking(models.TextChoices):
    NEVER = "never", _("Never smoked")
    FORMER = "former", _("Former smoker")
    CURRENT = "current", _("Current smoker")
    UNKNOWN = "unknown", _("Unknown")


class Region(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class DiagnosticUnit(models.Model):
    """A hospital's diagnostic unit (*diagnostisk enhed*) for non-specific symptoms."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=150)
    hospital = models.CharField(max_length=150)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(max_length=20)
    direct_phone = models.CharField(
        max_length=20, help_text=_("Direct number for general practitioners")
    )
    on_call_phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        """The unit's name with its hospital, unless the name already says it."""
        if self.hospital and self.hospital not in self.name:
            return f"{self.name}, {self.hospital}"
        return self.name


class Practice(models.Model):
    """A general practice (*almen praksis*)."""

    class Kind(models.TextChoices):
        SOLO = "solo", _("Solo practice")
        PARTNERSHIP = "partnership", _("Partnership practice")
        NETWORK = "network", _("Cooperative practice")

    provider_number = models.CharField(max_length=10, unique=True, help_text=_("Ydernummer"))
    # The practice's code in SOR (the Danish register of health organisations), by which a
    # FHIR Organization may name it instead of by its provider number.
    # A default in the database too: rows written by code that predates the column (older
    # migrations' models) still insert.
    sor_code = models.CharField(
        max_length=20,
        blank=True,
        default="",
        db_default="",
        db_index=True,
        help_text=_("SOR code"),
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="practices")
    municipality = models.CharField(max_length=60)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20)
    direct_phone = models.CharField(
        max_length=20, help_text=_("Direct number for colleagues (bagom-nummer)")
    )
    on_call_phone = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("Out-of-hours contact for the practice's patients, e.g. the regional 1813"),
    )
    email = models.EmailField(blank=True)
    diagnostic_unit = models.ForeignKey(
        DiagnosticUnit, on_delete=models.PROTECT, related_name="catchment_practices"
    )
    # Rejections must never wait unseen (study finding 10): unacknowledged for this many
    # working hours, a rejection goes to the second contact as well.
    second_contact = models.ForeignKey(
        "Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="second_contact_for",
        help_text=_("Clinician who takes over a rejection nobody has acknowledged in time"),
    )
    escalation_working_hours = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("Working hours before an unacknowledged rejection escalates"),
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class Clinician(models.Model):
    class Role(models.TextChoices):
        GP = "gp", _("General practitioner")
        TRAINEE_GP = "trainee_gp", _("Trainee general practitioner")
        UNIT_DOCTOR = "unit_doctor", _("Diagnostic unit doctor")

    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="clinicians"
    )
    unit = models.ForeignKey(
        DiagnosticUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="doctors"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clinician",
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="clinician_works_in_practice_or_unit",
                condition=(
                    Q(role__in=["gp", "trainee_gp"], practice__isnull=False, unit__isnull=True)
                    | Q(role="unit_doctor", unit__isnull=False, practice__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


def _validate_code(kind: str, value: str) -> None:
    # Imported here: the vocabulary is loaded on first use, not when models are imported.
    from opspor.engine.vocab import load_vocabulary

    if value not in getattr(load_vocabulary(), kind):
        raise ValidationError(
            _("%(code)s is not a code of the vocabulary."),
            code="unknown_code",
            params={"code": value},
        )


def validate_symptom_code(value: str) -> None:
    _validate_code("symptoms", value)


def validate_lab_code(value: str) -> None:
    _validate_code("labs", value)


def validate_finding_code(value: str) -> None:
    _validate_code("findings", value)


def validate_exposure_code(value: str) -> None:
    _validate_code("exposures", value)


def validate_cpr(value: str) -> None:
    try:
        cpr_numbers.normalise(value)
    except cpr_numbers.InvalidCPR as error:
        raise ValidationError(str(error), code="invalid_cpr") from None


class Patient(models.Model):
    # Blank for people without one: records from other countries, or a replacement number
    # (*erstatningspersonnummer*) kept as a `PatientIdentifier`. Unique where given.
    cpr = models.CharField(
        _("CPR number"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_cpr],
    )
    name = models.CharField(max_length=150)
    birth_date = models.DateField()
    sex = models.CharField(max_length=6, choices=Sex.choices)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="patients")
    own_gp = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.SET_NULL, related_name="list_patients"
    )
    registered_from = models.DateField()
    registered_to = models.DateField(null=True, blank=True)
    preferred_language = models.CharField(max_length=8, default="da")
    interpreter_needed = models.BooleanField(default=False)
    lives_alone = models.BooleanField(default=False)
    occupation = models.CharField(max_length=120, blank=True)
    smoking = models.CharField(max_length=10, choices=Smoking.choices, default=Smoking.UNKNOWN)
    died_on = models.DateField(null=True, blank=True)
    is_fictional = models.BooleanField(
        default=True, help_text=_("Synthetic demo data: not a real person")
    )
    story = models.SlugField(blank=True, help_text=_("Key of the demo story this patient carries"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    history = HistoricalRecords(excluded_fields=["user"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="registration_ends_after_it_starts",
                condition=Q(registered_to__isnull=True)
                | Q(registered_to__gte=F("registered_from")),
            )
        ]
        indexes = [models.Index(fields=["practice", "name"])]

    def __str__(self) -> str:
        return f"Patient #{self.pk}"

    def __repr__(self) -> str:
        return f"<Patient #{self.pk}>"

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Accept the number as people write it (DDMMYY-XXXX) and store the ten digits; an
        # empty one is no number at all (NULL, so that uniqueness leaves it alone).
        if not self.cpr:
            self.cpr = None
        else:
            with contextlib.suppress(cpr_numbers.InvalidCPR):  # the field validator reports it
                self.cpr = cpr_numbers.normalise(self.cpr)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.cpr:
            try:
                digits = cpr_numbers.normalise(self.cpr)
            except cpr_numbers.InvalidCPR as error:
                errors["cpr"] = str(error)
            else:
                if self.birth_date and cpr_numbers.birth_date(digits) != self.birth_date:
                    errors["birth_date"] = str(_("The birth date does not match the CPR number."))
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = str(_("The birth date lies in the future."))
        if (
            self.registered_to
            and self.registered_from
            and self.registered_to < self.registered_from
        ):
            errors["registered_to"] = str(_("The registration cannot end before it starts."))
        if errors:
            raise ValidationError(errors)

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def masked_cpr(self) -> str:
        if not self.cpr:
            return str(_("no CPR number"))
        return cpr_numbers.masked(self.cpr)


class PatientIdentifier(models.Model):
    """An identifier other than the CPR number: another country's, a replacement number, the
    id a sending system gave the patient. System and value as FHIR's `Identifier` has them."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="identifier_is_unique")
        ]

    def __str__(self) -> str:
        return f"Identifier #{self.pk} of patient #{self.patient_id}"


class ClinicalRow(models.Model):
    """Base of every row that belongs to one patient's record."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    # The codings the row arrived with from another system ([{"system", "code", "display"}]),
    # kept as received beside the vocabulary code Opspor reads: nothing is lost in mapping.
    original_coding = models.JSONField(default=list, blank=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.pk} of patient #{self.patient_id}"


class OccupationalExposure(ClinicalRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="exposures")
    code = models.SlugField(
        max_length=60,
        validators=[validate_exposure_code],
        help_text=_("Vocabulary code, e.g. firefighting_smoke"),
    )
    years = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)


class FamilyHistory(ClinicalRow):
    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        SISTER = "sister", _("Sister")
        BROTHER = "brother", _("Brother")
        DAUGHTER = "daughter", _("Daughter")
        SON = "son", _("Son")
        GRANDPARENT = "grandparent", _("Grandparent")
        AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
        COUSIN = "cousin", _("Cousin")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="family_history")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    cancer_site = models.SlugField(max_length=40)
    age_at_diagnosis = models.PositiveSmallIntegerField(null=True, blank=True)


class Contact(ClinicalRow):
    """A contact between the patient and the practice (*kontakt*)."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        PHONE = "phone", _("Phone consultation")
        EMAIL = "email", _("E-mail consultation")
        HOME_VISIT = "home_visit", _("Home visit")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="contacts")
    clinician = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason_codes = models.JSONField(default=list, blank=True, help_text=_("ICPC-2 codes"))
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "at"])]
        ordering = ["-at"]


class Symptom(ClinicalRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="symptoms")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="symptoms"
    )
    code = models.SlugField(
        max_length=60,
        validators=[validate_symptom_code],
        help_text=_("Vocabulary code, e.g. haemoptysis"),
    )
    onset = models.DateField()
    recorded_on = models.DateField()
    persistent = models.BooleanField(default=False)
    recurrent = models.BooleanField(default=False)
    patient_words = models.TextField(blank=True, help_text=_("The patient's own words"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="symptom_onset_before_recorded", condition=Q(onset__lte=F("recorded_on"))
            )
        ]
        ordering = ["-recorded_on"]


class LabResult(ClinicalRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    code = models.SlugField(
        max_length=60,
        validators=[validate_lab_code],
        help_text=_("Vocabulary code, e.g. haemoglobin"),
    )
    npu = models.CharField(max_length=12, blank=True)
    value = models.FloatField()
    unit = models.CharField(max_length=20)
    reference_low = models.FloatField(null=True, blank=True)
    reference_high = models.FloatField(null=True, blank=True)
    taken_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="reference_interval_is_ordered",
                condition=Q(reference_low__isnull=True)
                | Q(reference_high__isnull=True)
                | Q(reference_low__lte=F("reference_high")),
            )
        ]
        indexes = [models.Index(fields=["patient", "code", "taken_on"])]
        ordering = ["-taken_on"]

    @property
    def flag(self) -> str:
        if self.reference_low is not None and self.value < self.reference_low:
            return "low"
        if self.reference_high is not None and self.value > self.reference_high:
            return "high"
        return ""


class Condition(ClinicalRow):
    class System(models.TextChoices):
        ICD10 = "icd10", "ICD-10"
        ICPC2 = "icpc2", "ICPC-2"
        SNOMED_CT = "snomed_ct", "SNOMED CT"
        # Any other code system; the row's `original_coding` names it.
        OTHER = "other", _("Other code system")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(max_length=40)
    system = models.CharField(max_length=10, choices=System.choices)
    label = models.CharField(max_length=150, blank=True)
    chronic = models.BooleanField(default=False)
    onset = models.DateField(null=True, blank=True)
    resolved = models.DateField(null=True, blank=True)


class Medication(ClinicalRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    # Blank when the medicine arrived coded in another system only (RxNorm, say): its
    # `original_coding` holds that code.
    atc = models.CharField(max_length=8, blank=True, help_text=_("ATC code"))
    name = models.CharField(max_length=120, blank=True)
    start = models.DateField()
    stop = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="medication_stops_after_start",
                condition=Q(stop__isnull=True) | Q(stop__gte=F("start")),
            )
        ]


class ClinicalFinding(ClinicalRow):
    """An examination or imaging finding, e.g. a chest X-ray suggesting lung cancer."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="findings")
    code = models.SlugField(max_length=60, validators=[validate_finding_code])
    found_on = models.DateField()
    note = models.TextField(blank=True)


class CancerDiagnosis(ClinicalRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="cancer_diagnoses")
    diagnosed_on = models.DateField()
    site = models.SlugField(max_length=40)
    icd10 = models.CharField(max_length=10, blank=True)


class AppendOnly(Exception):
    """The access log is only ever added to: a row is never changed or removed."""


class AccessLogQuerySet(models.QuerySet["AccessLogEntry"]):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly("Access-log rows are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Access-log rows are never removed")

    # The bulk paths that change rows in place go the same way.
    def bulk_update(self, objs: object, fields: object, batch_size: int | None = None) -> int:
        raise AppendOnly("Access-log rows are never changed")


class AccessLogEntry(models.Model):
    """One read of one patient's record: who, which patient, what, when, from where and
    through which path.

    Rows are only ever inserted: saving a row again, deleting it and updating or deleting
    through a queryset raise `AppendOnly`, the admin shows them read-only, and on PostgreSQL
    a trigger refuses UPDATE and DELETE of the table (migration 0009).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_reads"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_log")
    what = models.CharField(max_length=60, help_text=_("Which part of the record was read"))
    channel = models.CharField(max_length=10, default="web", choices=Channel.choices)
    # A read that was asked for and refused: a patient opening another patient's page, say.
    # Nothing was shown; the row says who tried, and whose record it was.
    refused = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where the read came from (records/access_log.py): none of these for work outside a
    # request. The path never carries the query string, which may hold a search term.
    address = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True)
    credential = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("The session or API token, as the start of its SHA-256 digest"),
    )

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        # Named, so that the name does not follow the table's (the log moved apps once).
        indexes = [models.Index(fields=["patient", "at"], name="access_log_patient_at_idx")]
        verbose_name_plural = "access log entries"

    def __str__(self) -> str:
        verb = "was refused" if self.refused else "read"
        return f"{self.user_id} {verb} {self.what} of patient #{self.patient_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnly("Access-log rows are never changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Access-log rows are never removed")
