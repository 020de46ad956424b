"""Loading, once in gunicorn's master process, what a request would otherwise load on first
use in every worker.

gunicorn forks its workers from the master after loading the application
(`preload_app`), and replaces each worker after `OPSPOR_WEB_MAX_REQUESTS` requests. A new
worker starts with what the master had loaded, and nothing else: without this, each one
imported the URL configuration (the API's routers and their schemas), compiled the
templates, read the translation catalogues and loaded the engine's rule sets and
vocabulary on its first requests, and the first patient overview a worker served took
about 1.2 s instead of 30 ms (measured with one worker replaced every 20 requests; the
load test in benchmarks/README.md saw the same as a p95 spike while its five workers
were replaced). Nothing here touches the database: a connection opened before the fork
would be shared by every worker.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import RULESETS
from opspor.engine.vocab.loader import load_vocabulary

TEMPLATE_SUFFIXES = (".html", ".txt")


def warm() -> float:
    """Load everything above; the seconds it took."""
    started = time.monotonic()
    # The URL patterns are imported on the first reverse() or resolve().
    get_resolver().reverse_dict  # noqa: B018 (populates the resolver)
    for name in opspor_templates():
        try:
            get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            # A template that does not compile alone fails where it is used, in the tests.
            continue
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Opspor")
    load_vocabulary()
    context = PatientContext.model_validate(
        {"as_of": date(2026, 1, 1), "patient": {"birth_date": date(1960, 1, 1), "sex": "female"}}
    )
    for ruleset in RULESETS:
        assess(context, ruleset=ruleset)
    connections.close_all()
    return time.monotonic() - started


def opspor_templates() -> list[str]:
    """The names of Opspor's own templates: the project's folder and each app's."""
    package = Path(__file__).resolve().parent
    folders = [package / "templates", *sorted(package.glob("*/templates"))]
    return sorted(
        str(path.relative_to(folder))
        for folder in folders
        for path in folder.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES
    )
