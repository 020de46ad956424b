"""Response headers that keep patient data out of caches and the browser's features shut.

The Content-Security-Policy itself is Django's (`SECURE_CSP`, set in settings and sent by
`django.middleware.csp.ContentSecurityPolicyMiddleware`); this adds what Django has no
setting for:

- `Cache-Control: no-store` on every answer to a signed-in user and on every API answer:
  any of them may show a patient, and a shared computer's browser cache, a proxy or the
  back button must not keep it. Static files keep their own long caching (they are the
  same for everyone), and so does what anonymous visitors see (the login page).
- `Permissions-Policy` turning off every powerful browser feature but WebAuthn (passkeys,
  for Opspor's own origin only).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Features a page could ask the browser for; none of these is used, so none is allowed, not
# even to Opspor's own origin.
DENIED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "bluetooth",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Passkeys (accounts/passkeys.js): making one on "Your login", using one at the login.
SELF_FEATURES = ("publickey-credentials-create", "publickey-credentials-get")
PERMISSIONS_POLICY = ", ".join(
    [f"{feature}=()" for feature in DENIED_FEATURES]
    + [f"{feature}=(self)" for feature in SELF_FEATURES]
)
API_PREFIX = "/api/"


def _signed_in(request: HttpRequest) -> bool:
    # Absent when an outer middleware answered before authentication ran (an API body too
    # large, say): such an answer is under /api/ and gets no-store for that.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def shows_private_data(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return False
    return path.startswith(API_PREFIX) or _signed_in(request)


class PrivateResponseHeaders:
    """Outermost, so that it also sees what an inner middleware answers by itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if shows_private_data(request):
            # no-store, no-cache, must-revalidate, private and an Expires in the past.
            add_never_cache_headers(response)
        return response
