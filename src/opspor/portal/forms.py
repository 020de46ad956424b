"""The patient's forms: telling the practice about a safety net from their own page, and
preparing a consultation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.casework.forms import TokenField
from opspor.portal.models import (
    OWN_WORDS_LENGTH,
    QUESTION_LENGTH,
    URL_LENGTH,
    DailyLife,
    ReadingSource,
    Started,
)
from opspor.records.models import FamilyHistory
from opspor.safetynet.concerns import MAX_WORDS_LENGTH
from opspor.safetynet.workflow import ConcernKind


class ConcernForm(forms.Form):
    """One form, two buttons: the button pressed is the kind."""

    kind = forms.ChoiceField(choices=ConcernKind.choices, widget=forms.HiddenInput)
    words = forms.CharField(
        label=_("Anything you want to add (you can leave this empty)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_WORDS_LENGTH,
        required=False,
    )
    token = TokenField()


# The preparation's forms. Each field is optional unless the page needs it: a half-filled
# page is saved as it is (a draft), and the send page says what is still missing.

_YES_NO_UNKNOWN = [("yes", _("Yes")), ("no", _("No")), ("", _("I do not know"))]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def yes_no_value(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "") if value is not None else ""


class AddSymptomForm(forms.Form):
    choice = forms.SlugField(max_length=60)
    area = forms.SlugField(max_length=40)


class DescribeSymptomForm(forms.Form):
    own_words = forms.CharField(
        label=_("Tell it in your own words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )
    started = forms.ChoiceField(
        label=_("When did it start?"),
        choices=Started.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comes_and_goes = forms.ChoiceField(
        label=_("Does it come and go?"),
        choices=_YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
        required=False,
    )
    better_or_worse = forms.CharField(
        label=_("What makes it better or worse?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )
    daily_life = forms.ChoiceField(
        label=_("Does it stop you doing your usual things?"),
        choices=DailyLife.choices,
        widget=forms.RadioSelect,
        required=False,
    )


class DiaryForm(forms.Form):
    day = forms.DateField(label=_("Day"))
    severity = forms.TypedChoiceField(
        label=_("How bad was it? 0 is not at all, 10 is the worst you can think of"),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
    )


class WorriesForm(forms.Form):
    worry_words = forms.CharField(
        label=_("What worries you, and why?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )
    experiences = forms.CharField(
        label=_("Have you or people close to you been through something like this before?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )


class RelativeForm(forms.Form):
    relation = forms.ChoiceField(label=_("Who?"), choices=FamilyHistory.Relation.choices)
    cancer_site = forms.ChoiceField(label=_("Which cancer?"), choices=())
    own_words = forms.CharField(
        label=_("Anything else about it (you can leave this empty)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )

    def __init__(self, *args: Any, sites: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cancer_site"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = sites


class WorkForm(forms.Form):
    exposure = forms.ChoiceField(label=_("What did you work with?"), choices=())
    years = forms.IntegerField(
        label=_("For how many years? (you can leave this empty)"),
        min_value=0,
        max_value=80,
        required=False,
    )
    own_words = forms.CharField(
        label=_("Anything else about it (you can leave this empty)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )

    def __init__(self, *args: Any, exposures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["exposure"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = exposures


class ReadingForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Where?"), choices=ReadingSource.choices, widget=forms.RadioSelect
    )
    url = forms.CharField(
        label=_("The link (you can leave this empty)"), max_length=URL_LENGTH, required=False
    )
    text = forms.CharField(
        label=_("What did you read, or what did you ask and what was the answer?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=OWN_WORDS_LENGTH,
        required=False,
    )


class QuestionsForm(forms.Form):
    question_1 = forms.CharField(label=_("Question 1"), max_length=QUESTION_LENGTH, required=False)
    question_2 = forms.CharField(label=_("Question 2"), max_length=QUESTION_LENGTH, required=False)
    question_3 = forms.CharField(label=_("Question 3"), max_length=QUESTION_LENGTH, required=False)
    interpreter = forms.ChoiceField(
        label=_("Do you need an interpreter at the visit?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
        required=False,
    )
    interpreter_language = forms.ChoiceField(label=_("Which language?"), choices=(), required=False)

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["interpreter_language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *languages]


class SendForm(forms.Form):
    token = TokenField()
