"""The patient's pages for preparing a consultation ("Forbered din konsultation").

Phone first. One page per part: symptoms (plain words and a body map), a short diary per
symptom, what worries them, what they read, their three questions and the interpreter,
and a last page that shows it all before it is sent. Each page saves what it holds when
its button is pressed, so a draft grows as the patient goes and nothing is lost between
pages; `portal.js` keeps what is being typed in the tab until it is saved.

Each view first checks the role (403 for anyone but a patient, before anything is read),
then reads only the patient's own rows (404 for another patient's, logged as refused).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError, screen_text
from opspor.casework.forms import new_token
from opspor.engine.sites import site_name
from opspor.portal import selectors
from opspor.portal.forms import (
    AddSymptomForm,
    DescribeSymptomForm,
    DiaryForm,
    QuestionsForm,
    ReadingForm,
    RelativeForm,
    SendForm,
    WorkForm,
    WorriesForm,
    yes_no,
    yes_no_value,
)
from opspor.portal.languages import interpreter_language_choices
from opspor.portal.models import (
    DIARY_DAYS,
    OnlineReading,
    Preparation,
    PreparedRiskFactor,
    PreparedSymptom,
    RiskKind,
)
from opspor.portal.services import preparation as services
from opspor.portal.words import load_words

STEPS = ("symptoms", "worries", "reading", "questions", "send")


def current_language() -> str:
    """The page's language as Opspor names it ("da", "ar", "fa-af", ...)."""
    return (translation.get_language() or "da").lower()


def _patient(request: HttpRequest) -> User:
    user = require_role(request.user, Role.PATIENT)
    selectors.own_patient(user)
    return user


def _draft_or_start(request: HttpRequest, user: User) -> Preparation | HttpResponse:
    draft = selectors.own_draft(user)
    if draft is None:
        messages.info(request, gettext("Start your preparation first."))
        return redirect("portal:prepare")
    return draft


def _refused(request: HttpRequest, error: WorkflowError) -> None:
    messages.error(request, screen_text(error))


def _page(
    request: HttpRequest, template: str, step: str, draft: Preparation | None, **values: Any
) -> HttpResponse:
    if draft is not None:
        selectors.own_preparation_read(request.user, draft, what="own preparation")  # type: ignore[arg-type]
    return render(
        request,
        template,
        {"draft": draft, "step": step, "steps": _steps(draft), **values},
    )


def _steps(draft: Preparation | None) -> list[dict[str, Any]]:
    if draft is None:
        return []
    done = {
        "symptoms": draft.symptoms.exists(),
        "worries": bool(draft.worry_words or draft.experiences or draft.risk_factors.exists()),
        "reading": draft.readings.exists(),
        "questions": bool(draft.questions) or draft.interpreter_needed is not None,
        "send": False,
    }
    return [
        {"key": key, "url": reverse(f"portal:prepare_{key}"), "done": done[key]} for key in STEPS
    ]


@login_required
@require_http_methods(["GET", "POST"])
def prepare(request: HttpRequest) -> HttpResponse:
    """The start: what preparing is for, the draft's parts, and what was sent before."""
    user = _patient(request)
    if request.method == "POST":
        try:
            services.preparation_start(by=user, language=current_language())
        except WorkflowError as error:
            _refused(request, error)
            return redirect("portal:prepare")
        return redirect("portal:prepare_symptoms")
    draft = selectors.own_draft(user)
    return _page(
        request, "portal/prepare/start.html", "start", draft, sent=selectors.own_sent(user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def prepare_symptoms(request: HttpRequest) -> HttpResponse:
    """Pick a place on the body (or "all over"), then what you feel there."""
    user = _patient(request)
    draft = _draft_or_start(request, user)
    if isinstance(draft, HttpResponse):
        return draft
    language = current_language()
    if request.method == "POST":
        form = AddSymptomForm(request.POST)
        if form.is_valid():
            try:
                symptom = services.prepared_symptom_add(
                    preparation=draft,
                    by=user,
                    choice=form.cleaned_data["choice"],
                    area=form.cleaned_data["area"],
                    language=language,
                )
            except WorkflowError as error:
                _refused(request, error)
            else:
                return redirect("portal:prepare_symptom", symptom.pk)
        else:
            messages.error(request, gettext("Choose one of the symptoms shown."))
        return redirect(reverse("portal:prepare_symptoms"))
    words = load_words()
    area_key = request.GET.get("area", "")
    area = words.area(area_key)
    patient = draft.patient
    choices = []
    if area is not None:
        age = patient.age_on(timezone.localdate())
        choices = [
            {"key": c.key, "text": c.text(language)}
            for c in words.choices_for(area.key, sex=patient.sex, age=age)
        ]
    return _page(
        request,
        "portal/prepare/symptoms.html",
        "symptoms",
        draft,
        areas=words.labelled_areas(language),
        selected_area=area.key if area is not None else "",
        selected_label=area.text(language) if area is not None else "",
        base_url=reverse("portal:prepare_symptoms"),
        choices=choices,
        chosen=_chosen(draft, language),
    )


def _chosen(draft: Preparation, language: str) -> list[dict[str, Any]]:
    words = load_words()
    chosen = []
    for symptom in draft.symptoms.all():
        picked = words.choice(symptom.choice)
        area = words.area(symptom.body_area)
        chosen.append(
            {
                "symptom": symptom,
                "text": picked.text(language) if picked is not None else symptom.code,
                "area": area.text(language) if area is not None else "",
                "diary_days": len(symptom.diary.all()),
            }
        )
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def prepare_symptom(request: HttpRequest, symptom_id: int) -> HttpResponse:
    """Describe one symptom in your own words: when, how, what helps, what it stops."""
    user = _patient(request)
    symptom = selectors.own_item(user, PreparedSymptom, symptom_id)
    language = current_language()
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            try:
                services.prepared_symptom_remove(symptom=symptom, by=user)
            except WorkflowError as error:
                _refused(request, error)
            else:
                messages.success(request, gettext("The symptom was removed."))
            return redirect("portal:prepare_symptoms")
        form = DescribeSymptomForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.prepared_symptom_describe(
                    symptom=symptom,
                    by=user,
                    own_words=data["own_words"],
                    started=data["started"],
                    comes_and_goes=yes_no(data["comes_and_goes"]),
                    better_or_worse=data["better_or_worse"],
                    daily_life=data["daily_life"],
                    language=language,
                )
            except WorkflowError as error:
                _refused(request, error)
            else:
                messages.success(request, gettext("Saved."))
                if request.POST.get("next") == "diary":
                    return redirect("portal:prepare_diary", symptom.pk)
                return redirect("portal:prepare_symptoms")
    else:
        form = DescribeSymptomForm(
            initial={
                "own_words": symptom.own_words,
                "started": symptom.started,
                "comes_and_goes": yes_no_value(symptom.comes_and_goes),
                "better_or_worse": symptom.better_or_worse,
                "daily_life": symptom.daily_life,
            }
        )
    picked = load_words().choice(symptom.choice)
    return _page(
        request,
        "portal/prepare/symptom.html",
        "symptoms",
        symptom.preparation,
        symptom=symptom,
        title=picked.text(language) if picked is not None else symptom.code,
        form=form,
        sent=symptom.preparation.state != "draft",
    )


@login_required
@require_http_methods(["GET", "POST"])
def prepare_diary(request: HttpRequest, symptom_id: int) -> HttpResponse:
    """A short diary: the days you had it, and how bad it was (0 to 10)."""
    user = _patient(request)
    symptom = selectors.own_item(user, PreparedSymptom, symptom_id)
    today = timezone.localdate()
    if request.method == "POST":
        if request.POST.get("action") == "forget":
            try:
                day = date.fromisoformat(request.POST.get("day", ""))
                services.diary_forget(symptom=symptom, by=user, day=day)
            except ValueError:
                messages.error(request, gettext("That did not go through. Please try again."))
            except WorkflowError as error:
                _refused(request, error)
            return redirect("portal:prepare_diary", symptom.pk)
        form = DiaryForm(request.POST)
        if form.is_valid():
            try:
                services.diary_record(
                    symptom=symptom,
                    by=user,
                    day=form.cleaned_data["day"],
                    severity=form.cleaned_data["severity"],
                    today=today,
                )
            except WorkflowError as error:
                _refused(request, error)
            else:
                messages.success(request, gettext("Saved in your diary."))
                return redirect("portal:prepare_diary", symptom.pk)
    else:
        form = DiaryForm(initial={"day": today})
    picked = load_words().choice(symptom.choice)
    return _page(
        request,
        "portal/prepare/diary.html",
        "symptoms",
        symptom.preparation,
        symptom=symptom,
        title=picked.text(current_language()) if picked is not None else symptom.code,
        form=form,
        entries=list(symptom.diary.all().order_by("-day")),
        today=today,
        earliest=today - timedelta(days=DIARY_DAYS - 1),
        diary_days=DIARY_DAYS,
    )


def _risk_choices(language: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    words = load_words()
    sites = [(s.key, s.text(language)) for s in words.family_sites]
    exposures = [(e.key, e.text(language)) for e in words.exposures]
    return sites, exposures


def _risk_rows(draft: Preparation, language: str) -> list[dict[str, Any]]:
    words = load_words()
    rows = []
    for factor in draft.risk_factors.all():
        if factor.kind == RiskKind.FAMILY:
            site = words.family_site(factor.cancer_site)
            what = site.text(language) if site is not None else site_name(factor.cancer_site, "da")
            rows.append({"factor": factor, "who": factor.get_relation_display(), "what": what})
        else:
            exposure = words.exposure(factor.exposure)
            rows.append(
                {
                    "factor": factor,
                    "who": "",
                    "what": exposure.text(language) if exposure is not None else factor.exposure,
                }
            )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def prepare_worries(request: HttpRequest) -> HttpResponse:
    """What worries you and why: in your words, and as relatives and work the doctor's
    tools can read."""
    user = _patient(request)
    draft = _draft_or_start(request, user)
    if isinstance(draft, HttpResponse):
        return draft
    language = current_language()
    sites, exposures = _risk_choices(language)
    worries = WorriesForm(
        initial={"worry_words": draft.worry_words, "experiences": draft.experiences},
        prefix="worries",
    )
    relative = RelativeForm(sites=sites, prefix="relative")
    work = WorkForm(exposures=exposures, prefix="work")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "worries":
                worries = WorriesForm(request.POST, prefix="worries")
                if worries.is_valid():
                    services.preparation_worries(
                        preparation=draft, by=user, language=language, **worries.cleaned_data
                    )
                    messages.success(request, gettext("Saved."))
                    return redirect("portal:prepare_worries")
            elif action == "relative":
                relative = RelativeForm(request.POST, sites=sites, prefix="relative")
                if relative.is_valid():
                    services.risk_factor_add(
                        preparation=draft,
                        by=user,
                        kind=RiskKind.FAMILY,
                        language=language,
                        **relative.cleaned_data,
                    )
                    messages.success(request, gettext("Saved."))
                    return redirect(reverse("portal:prepare_worries") + "#relatives")
            elif action == "work":
                work = WorkForm(request.POST, exposures=exposures, prefix="work")
                if work.is_valid():
                    services.risk_factor_add(
                        preparation=draft,
                        by=user,
                        kind=RiskKind.EXPOSURE,
                        language=language,
                        **work.cleaned_data,
                    )
                    messages.success(request, gettext("Saved."))
                    return redirect(reverse("portal:prepare_worries") + "#work")
            elif action == "remove":
                factor = selectors.own_item(
                    user, PreparedRiskFactor, _int(request.POST.get("factor"))
                )
                services.risk_factor_remove(factor=factor, by=user)
                messages.success(request, gettext("Removed."))
                return redirect("portal:prepare_worries")
        except WorkflowError as error:
            _refused(request, error)
            return redirect("portal:prepare_worries")
    return _page(
        request,
        "portal/prepare/worries.html",
        "worries",
        draft,
        worries=worries,
        relative=relative,
        work=work,
        factors=_risk_rows(draft, language),
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@login_required
@require_http_methods(["GET", "POST"])
def prepare_reading(request: HttpRequest) -> HttpResponse:
    """What you read online or asked an AI: your doctor sees it and can answer it."""
    user = _patient(request)
    draft = _draft_or_start(request, user)
    if isinstance(draft, HttpResponse):
        return draft
    form = ReadingForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                reading = selectors.own_item(user, OnlineReading, _int(request.POST.get("reading")))
                services.reading_remove(reading=reading, by=user)
                messages.success(request, gettext("Removed."))
                return redirect("portal:prepare_reading")
            form = ReadingForm(request.POST)
            if form.is_valid():
                services.reading_add(
                    preparation=draft, by=user, language=current_language(), **form.cleaned_data
                )
                messages.success(request, gettext("Saved."))
                return redirect("portal:prepare_reading")
        except WorkflowError as error:
            _refused(request, error)
            if request.POST.get("action") == "remove":
                return redirect("portal:prepare_reading")
    return _page(
        request,
        "portal/prepare/reading.html",
        "reading",
        draft,
        form=form,
        readings=list(draft.readings.all()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def prepare_questions(request: HttpRequest) -> HttpResponse:
    """Your three questions for the doctor, and whether you need an interpreter."""
    user = _patient(request)
    draft = _draft_or_start(request, user)
    if isinstance(draft, HttpResponse):
        return draft
    languages = interpreter_language_choices()
    if request.method == "POST":
        form = QuestionsForm(request.POST, languages=languages)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.preparation_questions(
                    preparation=draft,
                    by=user,
                    questions=[data["question_1"], data["question_2"], data["question_3"]],
                    interpreter_needed=yes_no(data["interpreter"]),
                    interpreter_language=data["interpreter_language"],
                    language=current_language(),
                )
            except WorkflowError as error:
                _refused(request, error)
            else:
                messages.success(request, gettext("Saved."))
                return redirect("portal:prepare_send")
    else:
        form = QuestionsForm(
            languages=languages,
            initial={
                "question_1": draft.question_1,
                "question_2": draft.question_2,
                "question_3": draft.question_3,
                "interpreter": yes_no_value(draft.interpreter_needed),
                "interpreter_language": draft.interpreter_language,
            },
        )
    return _page(request, "portal/prepare/questions.html", "questions", draft, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def prepare_send(request: HttpRequest) -> HttpResponse:
    """Everything once more, in the patient's language, and the button that sends it."""
    user = _patient(request)
    draft = _draft_or_start(request, user)
    if isinstance(draft, HttpResponse):
        return draft
    if request.method == "POST":
        form = SendForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("That did not go through. Please try again."))
            return redirect("portal:prepare_send")
        try:
            services.preparation_send(
                preparation=draft, by=user, idempotency_key=form.cleaned_data["token"]
            )
        except WorkflowError as error:
            _refused(request, error)
            return redirect("portal:prepare_send")
        messages.success(request, gettext("Sent. Your practice can read it before your visit."))
        return redirect("portal:prepare")
    language = current_language()
    return _page(
        request,
        "portal/prepare/send.html",
        "send",
        draft,
        chosen=_chosen(draft, language),
        factors=_risk_rows(draft, language),
        readings=list(draft.readings.all()),
        missing=services.missing_before_send(draft),
        interpreter_language=dict(interpreter_language_choices()).get(
            draft.interpreter_language, ""
        ),
        form=SendForm(initial={"token": new_token()}),
    )
