"""Safety-net episodes and the investigations they wait for.

An episode is the practice's, not one doctor's: it has an owner, but every GP of the
practice sees it and may act on it. Only the services in `services.py` write these rows;
every change leaves an event (`EpisodeEvent`, `InvestigationEvent`). `__str__` never shows
clinical text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opspor.casework.models import CaseEvent
from opspor.records.models import ClinicalFinding, LabResult, Patient, Practice
from opspor.referrals.models import Referral
from opspor.safetynet.workflow import (
    ConcernKind,
    EpisodeOutcome,
    EpisodeReason,
    EpisodeState,
    InvestigationKind,
    InvestigationState,
    ToldHow,
)


class SafetyNetEpisode(models.Model):
    """An uncertain symptom picture with an owner, a plan and a date (*sikkerhedsnet*)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="safety_net_episodes"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="safety_net_episodes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes_owned"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes_opened"
    )
    opened_at = models.DateTimeField()
    reason = models.CharField(max_length=40, choices=EpisodeReason.choices)
    state = models.CharField(max_length=24, choices=EpisodeState.choices, default=EpisodeState.OPEN)
    follow_up_on = models.DateField(help_text=_("When the practice reviews the patient"))
    ends_on = models.DateField(
        help_text=_("The safety net's end: it then becomes due, it never closes by itself")
    )
    # What the patient was told to come back for, in the words they were given.
    advice = models.TextField(blank=True)
    # What the episode is about, as it stood when it was opened: the symptom codes with the
    # patient's own words, and Opspor's findings (rule ids, signals, rule set).
    symptoms = models.JSONField(default=list, blank=True)
    findings = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=24, choices=EpisodeOutcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The patient's referrals sent while the episode was live: linked by the referrals' own
    # events (`loops.py`), never by hand.
    referrals = models.ManyToManyField(Referral, blank=True, related_name="safety_net_episodes")

    class Meta:
        ordering = ["follow_up_on", "pk"]
        indexes = [
            models.Index(fields=["practice", "state", "follow_up_on"], name="episode_practice_idx"),
            models.Index(fields=["patient", "state"], name="episode_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="episode_state_is_known", condition=Q(state__in=EpisodeState.values)
            ),
            models.CheckConstraint(
                name="episode_reason_is_known", condition=Q(reason__in=EpisodeReason.values)
            ),
            models.CheckConstraint(
                name="episode_ends_after_follow_up",
                condition=Q(ends_on__gte=models.F("follow_up_on")),
            ),
            # A closed episode has its outcome; an open one has none yet.
            models.CheckConstraint(
                name="closed_episode_has_outcome",
                condition=(
                    Q(state=EpisodeState.CLOSED) & ~Q(outcome="") & Q(closed_at__isnull=False)
                )
                | (~Q(state=EpisodeState.CLOSED) & Q(outcome="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Safety-net episode #{self.pk} ({self.state})"

    @property
    def case_title(self) -> str:
        return str(_("Safety net"))


class EpisodeEvent(CaseEvent):
    episode = models.ForeignKey(SafetyNetEpisode, on_delete=models.PROTECT, related_name="events")

    def __str__(self) -> str:
        return f"episode #{self.episode_id}: {self.from_state or '-'} → {self.to_state}"


class Investigation(models.Model):
    """An investigation the episode waits for: ordered, resulted, seen, told, or cancelled."""

    episode = models.ForeignKey(
        SafetyNetEpisode, on_delete=models.PROTECT, related_name="investigations"
    )
    kind = models.CharField(max_length=24, choices=InvestigationKind.choices)
    # For a lab test, the vocabulary code of the result it waits for (e.g. haemoglobin).
    code = models.SlugField(max_length=60, blank=True)
    description = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=12, choices=InvestigationState.choices, default=InvestigationState.ORDERED
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField()
    expected_by = models.DateField()
    resulted_at = models.DateTimeField(null=True, blank=True)
    lab_result = models.ForeignKey(
        LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding = models.ForeignKey(
        ClinicalFinding, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_text = models.TextField(blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    told_at = models.DateTimeField(null=True, blank=True)
    told_how = models.CharField(max_length=16, choices=ToldHow.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["expected_by", "pk"]
        indexes = [
            models.Index(fields=["episode", "state"], name="investigation_episode_idx"),
            models.Index(fields=["state", "expected_by"], name="investigation_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="investigation_state_is_known",
                condition=Q(state__in=InvestigationState.values),
            ),
            models.CheckConstraint(
                name="cancelled_investigation_has_reason",
                condition=~Q(state=InvestigationState.CANCELLED) | ~Q(cancel_reason=""),
            ),
            models.CheckConstraint(
                name="told_investigation_says_how",
                condition=~Q(state=InvestigationState.TOLD) | ~Q(told_how=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Investigation #{self.pk} ({self.kind}, {self.state})"

    @property
    def practice_id(self) -> int:
        # Who may act on it: a GP of the episode's practice (the casework guard reads this).
        return self.episode.practice_id


class InvestigationEvent(CaseEvent):
    investigation = models.ForeignKey(
        Investigation, on_delete=models.PROTECT, related_name="events"
    )

    def __str__(self) -> str:
        return f"investigation #{self.investigation_id}: {self.from_state or '-'} → {self.to_state}"


class SignalKind(models.TextChoices):
    """The engine's signals the worklist shows for a patient without a live safety net."""

    PATTERN_BREAK = "pattern_break", _("Pattern break")
    LONG_ABSENCE = "long_absence", _("Return after a long absence")
    REPEAT_SYMPTOM = "repeat_symptom", _("Same symptom at 3+ consultations")
    LOW_USER_RISE = "low_user_rise", _("Marked rise in contacts in a previously low user")


class PatientSignal(models.Model):
    """A signal that held for the patient on `as_of`, with the engine's figures.

    Written only through `signal_compute.practice_signals_replace`: the practice's rows are
    replaced each night (from the population scan), a patient's after each new contact. A
    signal that no longer holds has no row.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="signals")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=SignalKind.choices)
    as_of = models.DateField()
    # Numbers, ISO dates and codes only (`engine/signals/watchlist.py`), never words.
    figures = models.JSONField(default=dict)
    # The patient's latest contact when computed: a dismissal holds until a later one.
    last_contact_at = models.DateTimeField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["practice", "kind"], name="signal_practice_idx")]
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"], name="one_signal_per_kind"),
            models.CheckConstraint(
                name="signal_kind_is_known", condition=Q(kind__in=SignalKind.values)
            ),
        ]

    def __str__(self) -> str:
        return f"Signal {self.kind} of patient #{self.patient_id} on {self.as_of}"


class SignalDismissal(models.Model):
    """A GP's decision that a signal needs nothing now, with the reason.

    It holds until the patient has a contact after `last_contact_at`; then the signal, if it
    still holds, is back on the worklist. Rows are kept: they are the record of the decision.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=SignalKind.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    # What was dismissed: the signal's date, figures and the patient's latest contact then.
    as_of = models.DateField()
    figures = models.JSONField(default=dict)
    last_contact_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["patient", "kind", "last_contact_at"], name="dismissal_idx")
        ]
        constraints = [
            models.CheckConstraint(name="dismissal_has_reason", condition=~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"Dismissal #{self.pk} of {self.kind} for patient #{self.patient_id}"


class SignalRun(models.Model):
    """When the practice's signals were last replaced as a whole, as of which day, and by what.

    Its row is also the practice's lock: whatever writes the practice's signals (the whole
    practice, or one patient after a new contact) locks it first.
    """

    class Source(models.TextChoices):
        # The practice computed patient by patient in the application (`signal_compute.py`).
        WORKER = "worker", _("the practice's own computation")
        # The region's population scan, loaded by `opspor.population`.
        SCAN = "scan", _("the population scan")

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    patients = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.WORKER)

    def __str__(self) -> str:
        return f"Signal run of practice #{self.practice_id} as of {self.as_of}"


class PatientConcern(models.Model):
    """The patient's own word from their page: "I have not heard anything", "It got worse".

    It waits on the practice's worklist until a GP of the practice answers it with a note;
    nothing else takes it off. One unanswered concern of each kind per episode: pressing
    again tells the patient the practice already has it.
    """

    episode = models.ForeignKey(SafetyNetEpisode, on_delete=models.PROTECT, related_name="concerns")
    kind = models.CharField(max_length=12, choices=ConcernKind.choices)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A few words the patient may add; for the practice's eyes only.
    words = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["episode", "answered_at"], name="concern_episode_idx")]
        constraints = [
            models.CheckConstraint(
                name="concern_kind_is_known", condition=Q(kind__in=ConcernKind.values)
            ),
            # Two presses, two tabs, two workers: still one waiting item per kind.
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=Q(answered_at__isnull=True),
                name="one_open_concern_per_kind",
            ),
            models.CheckConstraint(
                name="answered_concern_has_note",
                condition=Q(answered_at__isnull=True)
                | (Q(answered_by__isnull=False) & ~Q(answer_note="")),
            ),
        ]

    def __str__(self) -> str:
        state = "answered" if self.answered_at else "open"
        return f"Concern #{self.pk} ({self.kind}, {state})"

    @property
    def practice_id(self) -> int:
        return self.episode.practice_id


class PatientReminder(models.Model):
    """A reminder before the follow-up date, shown on the patient's page and e-mailed.

    One per episode and follow-up date: a rescheduled follow-up gets its own.
    """

    episode = models.ForeignKey(
        SafetyNetEpisode, on_delete=models.PROTECT, related_name="reminders"
    )
    follow_up_on = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["follow_up_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "follow_up_on"], name="one_reminder_per_follow_up"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder #{self.pk} (episode #{self.episode_id})"

    def get_absolute_url(self) -> str:
        # Where the e-mail's link goes: the patient's own page, by the URL's name (the
        # portal app sits above this one and is not imported).
        return reverse("portal:my_record")

    @property
    def case_title(self) -> str:
        return str(_("A reminder from your practice"))

    @property
    def patient(self) -> Patient:
        return self.episode.patient
