"""The JSON API under /api/v1/, with its OpenAPI schema at /api/v1/openapi.json.

Every endpoint requires a bearer token issued by `opspor token USERNAME`. The schema and the
docs page (/api/v1/docs, Swagger UI from Opspor's own static files) are for a signed-in
staff member or a holder of a token. A refused action
is answered here, once for every router: a service's `WorkflowError` with the status its
code maps to (`casework.errors`), a role that never uses the endpoint with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer

from opspor.accounts.models import User
from opspor.accounts.tokens import user_for_token
from opspor.api_errors import ErrorOut
from opspor.api_requests import MAX_JSON_DEPTH, JsonBodyParser, UnreadableBody
from opspor.casework.errors import WorkflowError, status_of
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# Swagger UI draws its icons as data: images; everything else stays as strict as elsewhere.
DOCS_CSP: dict[str, list[str]] = {
    **cast(dict[str, list[str]], settings.SECURE_CSP),
    "img-src": [CSP.SELF, "data:"],
}

View = Callable[..., HttpResponse]


def staff_or_token(view: View) -> View:
    """The docs page and the schema: for a signed-in staff member (the docs page in a
    browser) or an API client's valid bearer token (the schema, read by a client or a test).
    Anyone else signed in is refused; an anonymous visitor is sent to the login page, or
    answered 401 when asking for the schema."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff:
            return view(request, *args, **kwargs)
        if request.headers.get("Authorization") and BearerToken()(request) is not None:
            return view(request, *args, **kwargs)
        if user.is_authenticated:
            return JsonResponse({"detail": "Staff only."}, status=403)
        if request.path_info.endswith(".json"):
            response = JsonResponse({"detail": "Authentication required."}, status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        return redirect_to_login(request.get_full_path())

    return csp_override(DOCS_CSP)(guarded)


api = NinjaAPI(
    title="Opspor API",
    version="1",
    description=(
        "Decision support and collaboration for the early detection of cancer.\n\n"
        f"A request body is JSON of at most {settings.OPSPOR_API_MAX_BODY_BYTES:,} bytes "
        "(the server's `OPSPOR_API_MAX_BODY_BYTES`; 413 beyond it), nested at most "
        f"{MAX_JSON_DEPTH} arrays and objects deep and without lone surrogates (400). "
        f"Free text has at most {MAX_TEXT_LENGTH:,} characters, a one-line field at most "
        f"{MAX_LINE_LENGTH} (422). Every refusal and every server error is JSON with a "
        "`detail`."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    parser=JsonBodyParser(),
    docs_decorator=staff_or_token,
)


@api.exception_handler(WorkflowError)
def refused(request: HttpRequest, error: WorkflowError) -> HttpResponse:
    body = ErrorOut(code=error.code, detail=error.message, missing=error.missing)
    return api.create_response(request, body.model_dump(), status=status_of(error))


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    body = ErrorOut(code="forbidden", detail=str(error) or "Forbidden.")
    return api.create_response(request, body.model_dump(), status=403)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja words an unreadable body as "Cannot parse request body" and adds why only with
    # DEBUG on; the caller needs the why in production too.
    cause = exc.__cause__
    detail = str(cause) if isinstance(cause, UnreadableBody) else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


def _register_routers() -> None:
    from opspor.accounts.api import router as accounts_router
    from opspor.casework.api import router as casework_router
    from opspor.decision_api import router as decision_router
    from opspor.interop.api_fhir import router as fhir_router
    from opspor.interop.api_import import router as fhir_import_router
    from opspor.records.api import router as records_router
    from opspor.referrals.api import router as referrals_router
    from opspor.safetynet.api import router as safetynet_router

    api.add_router("/", accounts_router)
    api.add_router("/", records_router)
    api.add_router("/", decision_router)
    api.add_router("/", referrals_router)
    api.add_router("/", safetynet_router)
    api.add_router("/", casework_router)
    api.add_router("/", fhir_router)
    api.add_router("/", fhir_import_router)


_register_routers()
