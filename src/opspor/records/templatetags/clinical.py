"""Template filters that turn record codes into words a clinician reads at a glance."""

from __future__ import annotations

import functools
import math
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django import template
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from opspor.records.models import Contact, Practice

if TYPE_CHECKING:
    from opspor.engine.vocab import Vocabulary
    from opspor.records.models import Patient

register = template.Library()


@functools.cache
def _vocabulary() -> Vocabulary | None:
    # A page must still render when the vocabulary cannot be loaded: codes are then
    # shown as they are, which a clinician can still read.
    try:
        from opspor.engine.vocab import load_vocabulary

        return load_vocabulary()
    except (ImportError, OSError, ValueError):
        return None


@functools.cache
def _icpc2_index() -> dict[str, str]:
    """ICPC-2 code -> vocabulary code, for the rubrics that map exactly to one entry."""
    vocabulary = _vocabulary()
    if vocabulary is None:
        return {}
    index: dict[str, str] = {}
    for code in sorted(vocabulary.codes()):
        for mapping in vocabulary.lookup(code).icpc2:
            if mapping.exact:
                index.setdefault(mapping.code, code)
    return index


@register.filter
def vocab_label(code: str) -> str:
    """The label of a symptom, lab test, finding or exposure code in the page's language."""
    vocabulary = _vocabulary()
    if vocabulary is None or code not in vocabulary:
        return code
    return vocabulary.lookup(code).label(translation.get_language() or "da")


@register.simple_tag
def vocab_lang() -> SafeString:
    """`lang` and `dir` for a text from the vocabulary or the advice catalogue when the page's
    language has none of its own there (Dari) and its English is shown instead, so that a
    screen reader reads it as English (WCAG 3.1.2); nothing otherwise."""
    from opspor.engine.vocab.model import FALLBACK_LANGUAGE, LANGUAGES

    if (translation.get_language() or "da") in LANGUAGES:
        return SafeString("")
    return format_html(' lang="{}" dir="ltr"', FALLBACK_LANGUAGE)


@register.filter
def icpc2_label(code: str) -> str:
    """The vocabulary's label for an ICPC-2 rubric, or "" when there is none."""
    entry = _icpc2_index().get(code)
    return vocab_label(entry) if entry else ""


@register.filter
def age(patient: Patient) -> int:
    return patient.age_on(timezone.localdate())


@register.filter
def since(day: date | None) -> str:
    """How long ago a day was, in whole days, weeks, months or years."""
    if day is None:
        return ""
    days = (timezone.localdate() - day).days
    if days < 0:
        return ""
    if days < 14:
        return translation.ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if days < 62:
        weeks = days // 7
        return translation.ngettext("%(n)d week", "%(n)d weeks", weeks) % {"n": weeks}
    if days < 730:
        months = days // 30
        return translation.ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    years = days // 365
    return translation.ngettext("%(n)d year", "%(n)d years", years) % {"n": years}


@register.filter
def lab_value(value: float | None) -> str:
    """A measured value with no trailing zeros, localised.

    Three decimals at most, or three significant digits for a value below 0.001.
    """
    if value is None:
        return ""
    decimals = 3
    if 0 < abs(value) < 0.001:
        decimals = 2 - math.floor(math.log10(abs(value)))
    rounded = Decimal(repr(round(value, decimals))).normalize()
    if rounded == rounded.to_integral():
        rounded = rounded.quantize(Decimal(1))
    return formats.number_format(rounded)


_LANGUAGES = {
    # Languages patients in the region speak that Django's own table does not name.
    "prs": _("Dari"),
    "ps": _("Pashto"),
    "so": _("Somali"),
    "ti": _("Tigrinya"),
    "ku": _("Kurdish"),
}


@register.filter
def language_name(code: str) -> str:
    """The name of a language, in the page's language."""
    if code in _LANGUAGES:
        return capfirst(str(_LANGUAGES[code]))
    try:
        return capfirst(str(translation.get_language_info(code)["name_translated"]))
    except KeyError:
        return code


_CANCER_SITES = {
    "lung": _("Lung cancer"),
    "breast": _("Breast cancer"),
    "colorectal": _("Colorectal cancer"),
    "colon": _("Colon cancer"),
    "rectum": _("Rectal cancer"),
    "prostate": _("Prostate cancer"),
    "kidney": _("Kidney cancer"),
    "bladder": _("Bladder cancer"),
    "lymphoma": _("Lymphoma"),
    "leukaemia": _("Leukaemia"),
    "myeloma": _("Myeloma"),
    "ovary": _("Ovarian cancer"),
    "ovarian": _("Ovarian cancer"),
    "pancreas": _("Pancreatic cancer"),
    "pancreatic": _("Pancreatic cancer"),
    "stomach": _("Stomach cancer"),
    "oesophagus": _("Oesophageal cancer"),
    "melanoma": _("Melanoma"),
    "skin": _("Skin cancer"),
    "brain": _("Brain tumour"),
    "uterus": _("Uterine cancer"),
    "cervix": _("Cervical cancer"),
    "liver": _("Liver cancer"),
    "head_neck": _("Head and neck cancer"),
    "thyroid": _("Thyroid cancer"),
    "testis": _("Testicular cancer"),
    "other": _("Other cancer"),
}


@register.filter
def cancer_site(site: str) -> str:
    label = _CANCER_SITES.get(site)
    return str(label) if label is not None else site.replace("_", " ")


_OCCUPATIONS = {
    "office_worker": _("Office worker"),
    "healthcare_worker": _("Healthcare worker"),
    "teacher": _("Teacher"),
    "retail_worker": _("Retail worker"),
    "student": _("Student"),
    "unemployed": _("Unemployed"),
    "cleaner": _("Cleaner"),
    "construction_worker": _("Construction worker"),
    "electrician": _("Electrician"),
    "plumber": _("Plumber"),
    "firefighter": _("Firefighter"),
    "former_firefighter": _("Former firefighter"),
    "professional_driver": _("Professional driver"),
    "mechanic": _("Mechanic"),
    "welder": _("Welder"),
    "shipyard_worker": _("Shipyard worker"),
    "farmer": _("Farmer"),
    "carpenter": _("Carpenter"),
    "painter": _("Painter"),
    "hairdresser": _("Hairdresser"),
    "retired": _("Retired"),
}


@register.filter
def occupation(value: str) -> str:
    """Occupation codes from the synthetic region in words; free text is shown as written."""
    label = _OCCUPATIONS.get(value)
    return str(label) if label is not None else value


# Statistics Denmark and the Danish Health Data Authority do not publish counts of one to
# four people, since such small cells can point to an individual.
_SMALLEST_SHOWN = 5


@register.filter
def discreet(count: int) -> str:
    if 0 < count < _SMALLEST_SHOWN:
        return f"<{_SMALLEST_SHOWN}"
    return formats.number_format(count, force_grouping=True)


@register.filter
def tel(number: str) -> str:
    """A tel: URI for a Danish phone number written with spaces."""
    digits = re.sub(r"[^\d+]", "", number)
    if digits and not digits.startswith("+") and len(digits) == 8:
        digits = "+45" + digits
    return f"tel:{digits}"


@register.filter
def practice_kind(value: str) -> str:
    return str(Practice.Kind(value).label) if value in Practice.Kind.values else value


@register.filter
def contact_kind(value: str) -> str:
    return str(Contact.Kind(value).label) if value in Contact.Kind.values else value
