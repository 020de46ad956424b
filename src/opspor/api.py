"""The JSON API under /api/v1/, with its OpenAPI schema at /api/v1/openapi.json.

Every endpoint requires a bearer token, issued by `opspor token USERNAME` or on the user's
own tokens page; one that has expired or been revoked is refused with 401, a read token
with 403 for every method but GET and HEAD, here for every router at once
(`accounts.tokens`). Too many requests are refused with 429 before the API runs
(`accounts.ratelimit`). The schema and the docs page (/api/v1/docs, Swagger UI from Opspor's
own static files) are for a signed-in staff member or a holder of a token. A refused action
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
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from opspor.accounts.models import User
from opspor.accounts.tokens import (
    READING_METHODS,
    ScopeRefused,
    TokenRefused,
    user_for_request,
)
from opspor.api_errors import ErrorOut
from opspor.api_requests import MAX_JSON_DEPTH, JsonBodyParser, UnreadableBody
from opspor.casework.errors import WorkflowError, status_of
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        # The token is read from the request (the rate limit has looked it up already).
        user = user_for_request(request)
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


class OpsporApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        # What the one authentication step and the rate limit answer, on every operation
        # they answer it for, so that a client can rely on it.
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path in schema["paths"].values():
            for method, operation in path.items():
                if not operation.get("security"):
                    continue
                responses = operation.setdefault("responses", {})
                if method.upper() not in READING_METHODS:
                    responses.setdefault(
                        403,
                        {"description": "A read token, or a role that may not", "content": error},
                    )
                responses[429] = {
                    "description": "Too many requests",
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds until the client's window ends",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": error,
                }
        return schema


api = OpsporApi(
    title="Opspor API",
    version="1",
    description=(
        "Decision support and collaboration for the early detection of cancer.\n\n"
        f"A request body is JSON of at most {settings.OPSPOR_API_MAX_BODY_BYTES:,} bytes "
        "(the server's `OPSPOR_API_MAX_BODY_BYTES`; 413 beyond it), nested at most "
        f"{MAX_JSON_DEPTH} arrays and objects deep and without lone surrogates (400). "
        f"Free text has at most {MAX_TEXT_LENGTH:,} characters, a one-line field at most "
        f"{MAX_LINE_LENGTH} (422). Every refusal and every server error is JSON with a "
        "`detail`.\n\n"
        "A bearer token expires (at most "
        f"{settings.OPSPOR_API_TOKEN_DAYS} days after it is issued) and can be revoked by "
        "its owner; either is answered 401 with a `code` (`token_expired`, "
        "`token_revoked`). A token has the scope `read` or `write`: a read token is "
        "answered 403 (`token_scope`) for every method but GET and HEAD.\n\n"
        f"Rate limit: at most {settings.OPSPOR_API_RATE_LIMIT} requests every "
        f"{settings.OPSPOR_API_RATE_WINDOW_SECONDS} seconds per token, and per client "
        "address for requests without a known token (the server's "
        "`OPSPOR_API_RATE_LIMIT` and `OPSPOR_API_RATE_WINDOW_SECONDS`; 0 means no limit). "
        "One more is answered 429 (`rate_limited`) with `Retry-After`: the seconds until "
        "the window ends."
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


@api.exception_handler(TokenRefused)
def token_refused(request: HttpRequest, error: TokenRefused) -> HttpResponse:
    body = ErrorOut(code=error.code, detail=error.detail)
    return api.create_response(request, body.model_dump(), status=401)


@api.exception_handler(ScopeRefused)
def scope_refused(request: HttpRequest, error: ScopeRefused) -> HttpResponse:
    body = ErrorOut(code=error.code, detail=str(error))
    return api.create_response(request, body.model_dump(), status=403)


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
