"""Form pieces every kind of case's screens share."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """A fresh key for one form: a second submission of the same form repeats it."""
    return uuid.uuid4().hex


class TokenField(forms.CharField):
    """The hidden per-form key the services use to make a submission idempotent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("min_length", 16)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not str(value).isalnum():
            raise forms.ValidationError(_("The form is out of date; reload the page."))
