"""The patient's forms: telling the practice about a safety net from their own page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.casework.forms import TokenField
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
