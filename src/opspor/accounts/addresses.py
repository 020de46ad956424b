"""The address a request came from, for the login trail and the per-address throttle."""

from __future__ import annotations

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when it cannot be told.

    Behind `OPSPOR_TRUSTED_PROXIES` reverse proxies each appends the address it received
    the request from to X-Forwarded-For, so the client is that many entries from the right;
    anything further left was written by the client and cannot be trusted.
    """
    proxies = settings.OPSPOR_TRUSTED_PROXIES
    raw = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        raw = forwarded[-proxies] if len(forwarded) >= proxies else ""
    try:
        return str(ip_address(raw))
    except ValueError:
        return None
