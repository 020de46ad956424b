"""Answering htmx: the fragment it asked for, or the whole page.

One rule for every app, so that no screen answers a history restore with a bare fragment.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_template
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx asked for a fragment to swap into the page it already shows.

    htmx restoring a page missing from its history cache (back button after the cache has
    dropped it) also sends `HX-Request`, but it puts the answer in place of the whole page,
    so it must get the whole page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: HttpRequest,
    full: str,
    fragment: str,
    context: dict[str, object],
) -> HttpResponse:
    """The whole page, or only the fragment htmx asked for to swap into it."""
    response = render_template(request, fragment if is_htmx(request) else full, context)
    # The same URL answers with two different bodies; caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
