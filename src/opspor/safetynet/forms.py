"""The forms of the safety-net screens.

They check the shape of what was typed, and the plain order of the dates so that the GP
reads which date is wrong; the rules of the workflow (what may close an episode, which
result belongs to whom) are the services', whose refusals the views show.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import Role, User
from opspor.casework.forms import TokenField
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import LabResult, Practice
from opspor.records.templatetags.clinical import lab_value, vocab_label
from opspor.records.templatetags.overview import clinical_language
from opspor.safetynet.workflow import (
    EpisodeOutcome,
    EpisodeReason,
    InvestigationKind,
    ToldHow,
)

# The dates a new safety net starts with. These are this software's defaults, chosen so
# that the GP only has to confirm them, not a guideline's: no source gives an interval,
# and the GP sets the dates the patient's picture calls for.
FOLLOW_UP_AFTER = timedelta(days=14)
ENDS_AFTER = timedelta(days=42)
# When an ordered investigation is expected back, unless the GP says otherwise: also this
# software's default, not a guideline's.
EXPECTED_AFTER = timedelta(days=7)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def _date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=DateInput(), input_formats=["%Y-%m-%d", "%d-%m-%Y"], **kwargs
    )


def _not_past(value: date | None) -> None:
    if value is not None and value < timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the past."))


def practice_gps(practice: Practice) -> list[User]:
    """The GPs of the practice with a login, by name: those who may own an episode."""
    return list(
        User.objects.filter(role=Role.GP, is_active=True, clinician__practice=practice)
        .select_related("clinician")
        .order_by("clinician__name", "pk")
    )


class EpisodeOpenForm(forms.Form):
    symptoms = forms.MultipleChoiceField(
        label=_("The symptoms the safety net is about"),
        widget=forms.CheckboxSelectMultiple,
        choices=(),
        required=False,
    )
    reason = forms.ChoiceField(label=_("Why a safety net"), choices=EpisodeReason.choices)
    owner = forms.TypedChoiceField(label=_("Owner"), choices=(), coerce=int)
    follow_up_on = _date_field(_("Follow-up"), validators=[_not_past])
    ends_on = _date_field(_("The safety net ends"), validators=[_not_past])
    advice = forms.CharField(
        label=_("What the patient was told to come back for"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    token = TokenField()

    def __init__(
        self, *args: Any, symptoms: list[tuple[str, str]], gps: list[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._gps = {gp.pk: gp for gp in gps}
        field = self.fields["symptoms"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = symptoms
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        owner.choices = [(gp.pk, gp.clinician.name) for gp in gps]

    def owner_user(self) -> User:
        return self._gps[self.cleaned_data["owner"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        follow_up, ends = data.get("follow_up_on"), data.get("ends_on")
        if follow_up and ends and ends < follow_up:
            self.add_error("ends_on", _("The safety net cannot end before its follow-up."))
        return data

    @staticmethod
    def initial_for(today: date, *, symptom_codes: list[str], owner: User) -> dict[str, Any]:
        return {
            "symptoms": symptom_codes,
            "reason": EpisodeReason.WAIT_AND_SEE,
            "owner": owner.pk,
            "follow_up_on": today + FOLLOW_UP_AFTER,
            "ends_on": today + ENDS_AFTER,
        }


class DialogForm(forms.Form):
    """A form of one dialog of the episode page: its fields' ids carry the dialog's name,
    since several dialogs of the page have a field of the same name."""

    dialog = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.dialog}_%s")
        super().__init__(*args, **kwargs)


def lab_choices() -> list[tuple[str, str]]:
    """The vocabulary's lab tests, by name in the page's clinical language."""
    language = clinical_language()
    labs = load_vocabulary().labs
    named = sorted(((entry.label(language), code) for code, entry in labs.items()))
    return [("", "—"), *((code, label) for label, code in named)]


class OrderForm(DialogForm):
    dialog = "order"
    kind = forms.ChoiceField(label=_("Investigation"), choices=InvestigationKind.choices)
    code = forms.ChoiceField(
        label=_("For a blood or urine test: the result it waits for"),
        choices=(),
        required=False,
    )
    description = forms.CharField(
        label=_("Description (optional)"), max_length=MAX_LINE_LENGTH, required=False
    )
    expected_by = _date_field(_("Result expected by"), validators=[_not_past])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        assert isinstance(code, forms.ChoiceField)
        code.choices = lab_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == InvestigationKind.LAB and not data.get("code"):
            self.add_error("code", _("Choose the result the blood or urine test waits for."))
        return data


def lab_result_choices(results: list[LabResult]) -> list[tuple[str, Any]]:
    return [("", _("No linked result"))] + [
        (
            str(row.pk),
            f"{row.taken_on:%d-%m-%Y} · {vocab_label(row.code)} {lab_value(row.value)} {row.unit}",
        )
        for row in results
    ]


class ResultForm(forms.Form):
    text = forms.CharField(
        label=_("The result in words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    lab_result = forms.TypedChoiceField(
        label=_("Or link a lab result from the patient's record"),
        choices=(),
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, lab_results: list[LabResult], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._results = {row.pk: row for row in lab_results}
        field = self.fields["lab_result"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = lab_result_choices(lab_results)

    def linked(self) -> LabResult | None:
        chosen = self.cleaned_data.get("lab_result")
        return self._results.get(chosen) if chosen is not None else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not str(data.get("text", "")).strip() and data.get("lab_result") is None:
            self.add_error("text", _("Write the result, or link the lab result it is."))
        return data


class ToldForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How the patient was told"), choices=ToldHow.choices, widget=forms.RadioSelect
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is cancelled"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
    )


class RescheduleForm(DialogForm):
    dialog = "reschedule"
    follow_up_on = _date_field(_("New follow-up date"), validators=[_not_past])
    ends_on = _date_field(_("New end date (optional)"), validators=[_not_past], required=False)
    reason = forms.CharField(
        label=_("Why the date changes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
    )


class CloseForm(DialogForm):
    dialog = "close"
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *EpisodeOutcome.choices])
    reason = forms.CharField(
        label=_("Note (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )


class ConcernAnswerForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (a note for the audit trail)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
    )
