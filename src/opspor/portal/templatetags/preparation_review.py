"""Filters for the GP's summary of a patient's preparation (`portal/_preparation_*.html`)."""

from __future__ import annotations

from django import template
from django.utils import translation

from opspor.engine.sites import site_name
from opspor.portal.languages import interpreter_language_name
from opspor.portal.summary import base_language, text_direction
from opspor.portal.trusted import TrustedLink
from opspor.portal.words import load_words
from opspor.records.templatetags.clinical import language_name
from opspor.records.templatetags.overview import clinical_language, site_label

register = template.Library()


@register.filter
def written_language(code: str) -> str:
    """The name of the language a patient wrote in or needs an interpreter for: the
    portal's own list of interpreter languages first (Dari, "another language"), else
    Django's names."""
    if not code:
        return ""
    name = interpreter_language_name(code)
    return name if name != code else language_name(base_language(code))


@register.filter
def text_dir(code: str) -> str:
    return text_direction(code)


@register.filter
def family_site(code: str) -> str:
    """A relative's cancer site by its name in the engine's list (Danish or English), or, in
    the other languages of the interface, by the overview's translated name where it has
    one."""
    language = (translation.get_language() or "da").split("-")[0]
    if language in ("da", "en"):
        return site_name(code, language)
    label = site_label(code)
    return label if label != code.replace("_", " ") else site_name(code, clinical_language())


@register.filter
def link_title(link: TrustedLink) -> str:
    """A catalogue link's title in the page's language, or in Danish where it has none."""
    return link.title((translation.get_language() or "da").split("-")[0])


@register.filter
def body_area_name(key: str) -> str:
    """Where on the body the patient placed a symptom, in the page's language ("" if none)."""
    area = load_words().area(key) if key else None
    return area.text(translation.get_language() or "da") if area is not None else ""


register.filter("base_language", base_language)
