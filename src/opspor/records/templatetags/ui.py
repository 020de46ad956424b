"""Small pieces of the design system (dkfds) used by every page."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "", classes: str = "") -> SafeString:
    """A dkfds icon from its SVG sprite; decorative unless it is given a label."""
    href = f"{static('vendor/dkfds/img/all-svg-icons.svg')}#{name}"
    css = f"icon-svg {classes}".strip()
    if label:
        return format_html(
            '<svg class="{}" focusable="false" role="img" aria-label="{}">'
            '<use href="{}"></use></svg>',
            css,
            label,
            href,
        )
    return format_html(
        '<svg class="{}" focusable="false" aria-hidden="true"><use href="{}"></use></svg>',
        css,
        href,
    )
