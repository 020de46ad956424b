"""The forms of the referral screens.

They check the shape of what was typed (lengths, choices, numbers) and nothing more: the
rules of the workflow (what a complete referral carries, that a rejection needs a plan)
belong to the services, whose refusals the views show, so the screens and the API refuse
the same things for the same reasons. Text lengths are `casework/text.py`'s, as in the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.casework.clock import COPENHAGEN
from opspor.casework.forms import TokenField
from opspor.casework.text import MAX_TEXT_LENGTH
from opspor.engine.alternatives import load_catalogue
from opspor.referrals.workflow import (
    FRAILTY_FIELDS,
    FRAILTY_LABELS,
    FRAILTY_SCALE,
    PATHWAYS,
    ReferralOrigin,
    RejectionReason,
)

# The pathways' names for the screens. workflow.PATHWAYS names them in English for the
# code's readers; a pathway added there without a name here shows its English label.
PATHWAY_LABELS = {
    "dpf": _("Diagnostic pathway for non-specific symptoms"),
    "kidney": _("Cancer of the bladder and kidneys"),
    "lung": _("Lung cancer"),
    "colorectal": _("Colorectal cancer"),
    "breast": _("Breast cancer"),
    "pancreas": _("Pancreatic cancer"),
    "liver": _("Primary liver cancer"),
    "oesophagus_stomach": _("Cancer of the oesophagus, cardia and stomach"),
    "prostate": _("Prostate cancer"),
    "testis": _("Testicular cancer"),
    "ovary": _("Ovarian cancer"),
    "uterus": _("Cancer of the uterus"),
    "cervix": _("Cervical cancer"),
    "vulva": _("Vulval cancer"),
    "lymphoma_cll": _("Lymphoma and chronic lymphocytic leukaemia"),
    "acute_leukaemia": _("Acute leukaemia and advanced myelodysplastic syndrome"),
    "myeloma": _("Myeloma"),
    "chronic_myeloid": _("Chronic myeloid disease"),
    "brain": _("Brain cancer"),
    "head_and_neck": _("Head and neck cancer"),
    "melanoma": _("Melanoma"),
    "sarcoma": _("Sarcoma of bone and soft tissue"),
    "eye_orbit": _("Cancer of the eye and orbit"),
    "children": _("Cancer in children"),
}


def pathway_label(code: str) -> str:
    label = PATHWAY_LABELS.get(code)
    if label is not None:
        return str(label)
    requirements = PATHWAYS.get(code)
    return requirements.label if requirements is not None else code


YES_NO_UNKNOWN = (("", _("Not assessed")), ("yes", _("Yes")), ("no", _("No")))


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class AdviceRequestForm(forms.Form):
    question = forms.CharField(
        label=_("Your question to the diagnostic unit"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT_LENGTH,
    )
    token = TokenField()


class ReferralForm(forms.Form):
    pathway = forms.ChoiceField(label=_("Pathway"), choices=())
    clinical_question = forms.CharField(
        label=_("Clinical question and findings"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    informed_about_kraeft = forms.BooleanField(
        label=_(
            "I have told the patient that the letter to the unit uses the word “kræft” "
            "(cancer), and what that does and does not mean"
        ),
        required=False,
    )
    marked_frail = forms.BooleanField(label=_("The patient is frail"), required=False)
    clinical_frailty_scale = forms.TypedChoiceField(
        label=FRAILTY_LABELS["clinical_frailty_scale"],
        choices=(("", _("Not assessed")), *FRAILTY_SCALE),
        coerce=int,
        empty_value=None,
        required=False,
    )
    dementia = forms.TypedChoiceField(
        label=FRAILTY_LABELS["dementia"],
        choices=YES_NO_UNKNOWN,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    patient_wish = forms.CharField(
        label=FRAILTY_LABELS["patient_wish"],
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    relatives_role = forms.CharField(
        label=FRAILTY_LABELS["relatives_role"],
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    tolerates_surgery = forms.TypedChoiceField(
        label=FRAILTY_LABELS["tolerates_surgery"],
        choices=YES_NO_UNKNOWN,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    tolerates_chemotherapy = forms.TypedChoiceField(
        label=FRAILTY_LABELS["tolerates_chemotherapy"],
        choices=YES_NO_UNKNOWN,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    origin = forms.ChoiceField(
        label=_("The referral is written by"),
        choices=ReferralOrigin.choices,
        initial=ReferralOrigin.GENERAL_PRACTICE,
        widget=forms.RadioSelect,
    )
    origin_name = forms.CharField(
        label=_("The specialist's clinic"), max_length=150, required=False
    )
    origin_phone = forms.CharField(
        label=_("The specialist's phone number"), max_length=20, required=False
    )
    incomplete_reason = forms.CharField(
        label=_("Why the referral is sent although something is missing"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    token = TokenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pathway = self.fields["pathway"]
        assert isinstance(pathway, forms.ChoiceField)
        pathway.choices = [(code, pathway_label(code)) for code in PATHWAYS]

    def draft_fields(self) -> dict[str, Any]:
        """The cleaned fields that make up the GP's order, as the service takes them."""
        data = self.cleaned_data
        names = ("informed_about_kraeft", "marked_frail", "origin", *FRAILTY_FIELDS)
        fields = {name: data[name] for name in names}
        if data["origin"] == ReferralOrigin.PRACTISING_SPECIALIST:
            fields |= {"origin_name": data["origin_name"], "origin_phone": data["origin_phone"]}
        return fields

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("origin") == ReferralOrigin.PRACTISING_SPECIALIST:
            for name in ("origin_name", "origin_phone"):
                if not str(data.get(name, "")).strip():
                    self.add_error(
                        name, _("A referral from a specialist names the clinic and its phone.")
                    )
        return data


class SendForm(forms.Form):
    incomplete_reason = forms.CharField(
        label=_("Why the referral is sent although something is missing"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )
    token = TokenField()


def plan_choices() -> list[tuple[str, Any]]:
    """The alternatives catalogue as choices, in the page's clinical language."""
    from opspor.records.templatetags.overview import clinical_language

    lang = clinical_language()
    return [("", _("No plan from the catalogue"))] + [
        (entry.code, entry.labels.get(lang)) for entry in load_catalogue().entries
    ]


class RejectForm(forms.Form):
    reason_category = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *RejectionReason.choices]
    )
    reason_text = forms.CharField(
        label=_("The reason in words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
    )
    # No plan is required here: the service refuses a rejection without one, with the
    # same words on the screen as in the API.
    alternative_plan_code = forms.ChoiceField(
        label=_("Alternative plan from the catalogue"), choices=(), required=False
    )
    alternative_plan_text = forms.CharField(
        label=_("Alternative plan in your own words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = self.fields["alternative_plan_code"]
        assert isinstance(plan, forms.ChoiceField)
        plan.choices = plan_choices()


class ReturnForm(forms.Form):
    advice_text = forms.CharField(
        label=_("Your advice to the GP"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT_LENGTH,
    )


class FirstContactForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=MAX_TEXT_LENGTH, required=False)


class BookForm(forms.Form):
    appointment_at = forms.DateTimeField(
        label=_("Appointment"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_appointment_at(self) -> datetime:
        value: datetime = self.cleaned_data["appointment_at"]
        # The unit books in Danish local time, whatever the server's zone.
        if timezone.is_naive(value):
            value = value.replace(tzinfo=COPENHAGEN)
        return value


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
    )
    token = TokenField()


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 5}), max_length=MAX_TEXT_LENGTH
    )
