"""The patient's own actions on their preparation for a consultation.

Only the patient themself acts here, and only on a draft: a sent preparation is what the
practice read, so it never changes afterwards (the next one starts a new draft). Every
part is saved as the patient goes, so a dropped connection loses at most the field being
typed (the page keeps that in the browser, `portal.js`).

What the patient writes is checked for length (the limits in `portal.models`) and kept as
written; templates escape it, so markup is shown as text and never runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.runner import lock, record_event, retry_when_locked
from opspor.casework.text import check_length, has_words
from opspor.portal.languages import INTERPRETER_LANGUAGES
from opspor.portal.models import (
    DIARY_DAYS,
    MAX_READINGS,
    MAX_RISK_FACTORS,
    MAX_SYMPTOMS,
    OWN_WORDS_LENGTH,
    QUESTION_LENGTH,
    URL_LENGTH,
    DailyLife,
    DiaryEntry,
    OnlineReading,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    ReadingSource,
    RiskKind,
    Started,
)
from opspor.portal.words import load_words
from opspor.records.models import FamilyHistory, Patient


def _invalid(message: str, screen: Promise | str) -> WorkflowError:
    """A refusal with the API's words and the patient's plain ones."""
    return WorkflowError("invalid", message, screen=screen)


def _own_patient(user: User) -> Patient:
    patient = getattr(user, "patient", None)
    if not (user.is_active and user.role == Role.PATIENT and patient is not None):
        raise WorkflowError("forbidden", "Only the patient themself may do this.")
    return patient


def _require_own_draft(user: User, preparation: Preparation) -> Preparation:
    """The locked draft, refused when it is someone else's or already sent."""
    patient = _own_patient(user)
    if preparation.patient_id != patient.pk:
        raise WorkflowError("forbidden", "Only the patient themself may do this.")
    row = lock(preparation)
    if row.state != PreparationState.DRAFT:
        raise WorkflowError(
            "not_allowed",
            "The preparation was sent; it no longer changes.",
            screen=_("This was sent to your practice. It cannot be changed now."),
        )
    return row


def _words(value: str | None, *, what: str, limit: int = OWN_WORDS_LENGTH) -> str:
    text = (value or "").strip()
    return check_length(text, what=what, limit=limit) if has_words(text) else ""


def _touch(preparation: Preparation, language: str | None, now: datetime, *changed: str) -> None:
    """Save the draft's `changed` fields with the moment and the language of this save."""
    preparation.updated_at = now
    fields = [*changed, "updated_at"]
    if language:
        # The language the patient writes in now: their words are shown to the GP in it.
        preparation.language = language
        fields.append("language")
    preparation.save(update_fields=fields)


@retry_when_locked
@transaction.atomic
def preparation_start(*, by: User, language: str, now: datetime | None = None) -> Preparation:
    """The patient's draft: the one they have, or a new one."""
    patient = _own_patient(by)
    draft = Preparation.objects.filter(patient=patient, state=PreparationState.DRAFT).first()
    if draft is not None:
        return draft
    now = now or timezone.now()
    try:
        with transaction.atomic():
            draft = Preparation.objects.create(
                patient=patient, language=language, started_at=now, updated_at=now
            )
    except IntegrityError:  # a second tab started one at the same moment: use it
        return Preparation.objects.get(patient=patient, state=PreparationState.DRAFT)
    record_event(draft, by=by, at=now, action="prepare", from_state="")
    return draft


@retry_when_locked
@transaction.atomic
def prepared_symptom_add(
    *,
    preparation: Preparation,
    by: User,
    choice: str,
    area: str,
    language: str | None = None,
    now: datetime | None = None,
) -> PreparedSymptom:
    """Add a symptom picked in plain words, stored as the vocabulary's code. Picking the
    same thing in the same place again returns the one already there."""
    row = _require_own_draft(by, preparation)
    now = now or timezone.now()
    words = load_words()
    picked = words.choice(choice)
    patient = row.patient
    offered = words.choices_for(area, sex=patient.sex, age=patient.age_on(now.date()))
    if picked is None or picked not in offered:
        raise _invalid(
            f"{choice!r} is not offered for {area!r}.", _("Choose one of the symptoms shown.")
        )
    existing = PreparedSymptom.objects.filter(
        preparation=row, choice=choice, body_area=area
    ).first()
    if existing is not None:
        return existing
    if PreparedSymptom.objects.filter(preparation=row).count() >= MAX_SYMPTOMS:
        raise _invalid(
            f"A preparation holds at most {MAX_SYMPTOMS} symptoms.",
            _("You have chosen many symptoms. Tell your doctor about the rest at the visit."),
        )
    symptom = PreparedSymptom.objects.create(
        preparation=row, code=picked.code, choice=choice, body_area=area
    )
    _touch(row, language, now)
    return symptom


def _symptom_draft(by: User, symptom: PreparedSymptom) -> Preparation:
    return _require_own_draft(by, symptom.preparation)


@retry_when_locked
@transaction.atomic
def prepared_symptom_describe(
    *,
    symptom: PreparedSymptom,
    by: User,
    own_words: str = "",
    started: str = "",
    comes_and_goes: bool | None = None,
    better_or_worse: str = "",
    daily_life: str = "",
    language: str | None = None,
    now: datetime | None = None,
) -> PreparedSymptom:
    """The patient's description of one symptom, in their words; every part optional."""
    row = _symptom_draft(by, symptom)
    if started and started not in Started.values:
        raise _invalid(
            f"Unknown answer {started!r} for when it started.", _("Choose when it started.")
        )
    if daily_life and daily_life not in DailyLife.values:
        raise _invalid(
            f"Unknown answer {daily_life!r} for daily life.", _("Choose how it affects your day.")
        )
    symptom.own_words = _words(own_words, what="Your words")
    symptom.better_or_worse = _words(better_or_worse, what="What makes it better or worse")
    symptom.started = started
    symptom.comes_and_goes = comes_and_goes
    symptom.daily_life = daily_life
    symptom.save()
    _touch(row, language, now or timezone.now())
    return symptom


@retry_when_locked
@transaction.atomic
def prepared_symptom_remove(*, symptom: PreparedSymptom, by: User) -> None:
    row = _symptom_draft(by, symptom)
    symptom.delete()
    _touch(row, None, timezone.now())


@retry_when_locked
@transaction.atomic
def diary_record(
    *,
    symptom: PreparedSymptom,
    by: User,
    day: date,
    severity: int,
    today: date | None = None,
) -> DiaryEntry:
    """One day of the diary: a second entry for the same day replaces the first."""
    row = _symptom_draft(by, symptom)
    today = today or timezone.localdate()
    if day > today:
        raise _invalid(
            "A diary day cannot be in the future.",
            _("You cannot write in the diary for a day that has not come yet."),
        )
    if day < today - timedelta(days=DIARY_DAYS - 1):
        raise _invalid(
            f"The diary covers the last {DIARY_DAYS} days.",
            _("The diary is for the last %(days)s days.") % {"days": DIARY_DAYS},
        )
    if not 0 <= severity <= 10:
        raise _invalid(
            "How bad it was is a number from 0 to 10.", _("Choose a number from 0 to 10.")
        )
    entry, _created = DiaryEntry.objects.update_or_create(
        symptom=symptom, day=day, defaults={"severity": severity}
    )
    _touch(row, None, timezone.now())
    return entry


@retry_when_locked
@transaction.atomic
def diary_forget(*, symptom: PreparedSymptom, by: User, day: date) -> None:
    row = _symptom_draft(by, symptom)
    DiaryEntry.objects.filter(symptom=symptom, day=day).delete()
    _touch(row, None, timezone.now())


@retry_when_locked
@transaction.atomic
def risk_factor_add(
    *,
    preparation: Preparation,
    by: User,
    kind: str,
    relation: str = "",
    cancer_site: str = "",
    exposure: str = "",
    years: int | None = None,
    own_words: str = "",
    language: str | None = None,
) -> PreparedRiskFactor:
    """A relative with cancer or an exposure at work, as the record's codes, with the
    patient's words. The same relative and cancer (or exposure) twice is kept once."""
    row = _require_own_draft(by, preparation)
    words = load_words()
    if kind == RiskKind.FAMILY:
        if relation not in FamilyHistory.Relation.values:
            raise _invalid("Unknown relation.", _("Choose who in your family had cancer."))
        if words.family_site(cancer_site) is None:
            raise _invalid("Unknown cancer site.", _("Choose which cancer they had."))
        exposure, years = "", None
    elif kind == RiskKind.EXPOSURE:
        if words.exposure(exposure) is None:
            raise _invalid("Unknown exposure.", _("Choose what you worked with."))
        if years is not None and not 0 <= years <= 80:
            raise _invalid(
                "Years of work are between 0 and 80.", _("Write how many years (0 to 80).")
            )
        relation, cancer_site = "", ""
    else:
        raise _invalid(f"Unknown kind {kind!r}.", _("Choose a relative or something at work."))
    same = PreparedRiskFactor.objects.filter(
        preparation=row, kind=kind, relation=relation, cancer_site=cancer_site, exposure=exposure
    ).first()
    if same is not None:
        return same
    if PreparedRiskFactor.objects.filter(preparation=row).count() >= MAX_RISK_FACTORS:
        raise _invalid(
            f"At most {MAX_RISK_FACTORS} reasons for worry.",
            _("You have written many. Tell your doctor about the rest at the visit."),
        )
    factor = PreparedRiskFactor.objects.create(
        preparation=row,
        kind=kind,
        relation=relation,
        cancer_site=cancer_site,
        exposure=exposure,
        years=years,
        own_words=_words(own_words, what="Your words"),
    )
    _touch(row, language, timezone.now())
    return factor


@retry_when_locked
@transaction.atomic
def risk_factor_remove(*, factor: PreparedRiskFactor, by: User) -> None:
    row = _require_own_draft(by, factor.preparation)
    factor.delete()
    _touch(row, None, timezone.now())


def _checked_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    check_length(url, what="The link", limit=URL_LENGTH)
    parts = urlsplit(url)
    # Only web addresses: a javascript: or data: "link" would run when the GP clicks it.
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("A link starts with https:// or http://.", _("A link starts with https://"))
    return url


@retry_when_locked
@transaction.atomic
def reading_add(
    *,
    preparation: Preparation,
    by: User,
    source: str,
    url: str = "",
    text: str = "",
    language: str | None = None,
) -> OnlineReading:
    """What the patient read online or asked an AI: the link, the text, or both."""
    row = _require_own_draft(by, preparation)
    if source not in ReadingSource.values:
        raise _invalid(f"Unknown source {source!r}.", _("Choose where you read it."))
    url = _checked_url(url)
    text = _words(text, what="What you read")
    if not (url or text):
        raise _invalid("Write the link or what you read.", _("Write the link or what you read."))
    if OnlineReading.objects.filter(preparation=row).count() >= MAX_READINGS:
        raise _invalid(
            f"At most {MAX_READINGS} things you read.",
            _("You have added many. Tell your doctor about the rest at the visit."),
        )
    reading = OnlineReading.objects.create(preparation=row, source=source, url=url, text=text)
    _touch(row, language, timezone.now())
    return reading


@retry_when_locked
@transaction.atomic
def reading_remove(*, reading: OnlineReading, by: User) -> None:
    row = _require_own_draft(by, reading.preparation)
    reading.delete()
    _touch(row, None, timezone.now())


@retry_when_locked
@transaction.atomic
def preparation_worries(
    *,
    preparation: Preparation,
    by: User,
    worry_words: str = "",
    experiences: str = "",
    language: str | None = None,
) -> Preparation:
    row = _require_own_draft(by, preparation)
    row.worry_words = _words(worry_words, what="What worries you")
    row.experiences = _words(experiences, what="Earlier experiences")
    _touch(row, language, timezone.now(), "worry_words", "experiences")
    return row


@retry_when_locked
@transaction.atomic
def preparation_questions(
    *,
    preparation: Preparation,
    by: User,
    questions: list[str],
    interpreter_needed: bool | None = None,
    interpreter_language: str = "",
    language: str | None = None,
) -> Preparation:
    """The three questions for the doctor, and whether an interpreter is needed."""
    row = _require_own_draft(by, preparation)
    if len(questions) > 3:
        raise _invalid("Three questions at most.", _("Write up to three questions."))
    written = [_words(q, what="A question", limit=QUESTION_LENGTH) for q in questions]
    written += [""] * (3 - len(written))
    if interpreter_needed and interpreter_language not in INTERPRETER_LANGUAGES:
        raise _invalid(
            "Choose the language for the interpreter.",
            _("Choose the language for the interpreter."),
        )
    row.question_1, row.question_2, row.question_3 = written
    row.interpreter_needed = interpreter_needed
    row.interpreter_language = interpreter_language if interpreter_needed else ""
    _touch(
        row,
        language,
        timezone.now(),
        "question_1",
        "question_2",
        "question_3",
        "interpreter_needed",
        "interpreter_language",
    )
    return row


@dataclass(frozen=True)
class Missing:
    """What a draft lacks before it can be sent (the send page lists these)."""

    nothing_written: bool
    interpreter_unanswered: bool

    def __bool__(self) -> bool:
        return self.nothing_written or self.interpreter_unanswered


def missing_before_send(preparation: Preparation) -> Missing:
    written = (
        preparation.symptoms.exists()
        or preparation.risk_factors.exists()
        or preparation.readings.exists()
        or bool(preparation.questions)
        or has_words(preparation.worry_words)
        or has_words(preparation.experiences)
    )
    return Missing(
        nothing_written=not written,
        interpreter_unanswered=preparation.interpreter_needed is None,
    )


@retry_when_locked
@transaction.atomic
def preparation_send(
    *,
    preparation: Preparation,
    by: User,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Preparation:
    """Send the draft to the practice; from now on it does not change. Sending the same
    form twice (a double tap, a retry after a dropped connection) sends it once."""
    _own_patient(by)
    digest = fingerprint(preparation=preparation.pk)
    done = recall(Preparation, by=by, key=idempotency_key, action="preparation_send", digest=digest)
    if done is not None:
        return done
    row = _require_own_draft(by, preparation)
    missing = missing_before_send(row)
    if missing.nothing_written:
        raise _invalid(
            "The preparation is empty.", _("Write at least one thing before you send it.")
        )
    if missing.interpreter_unanswered:
        raise _invalid(
            "Say whether you need an interpreter.", _("Tell us if you need an interpreter.")
        )
    now = now or timezone.now()
    row.state = PreparationState.SENT
    row.sent_at = now
    row.updated_at = now
    row.save(update_fields=["state", "sent_at", "updated_at"])
    record_event(row, by=by, at=now, action="send", from_state=PreparationState.DRAFT)
    remember(by=by, key=idempotency_key, action="preparation_send", digest=digest, obj=row)
    preparation.state, preparation.sent_at = row.state, row.sent_at
    return row
