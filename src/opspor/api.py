"""The JSON API under /api/v1/, with its OpenAPI schema at /api/v1/openapi.json.

Every endpoint requires a bearer token issued by `opspor token USERNAME`.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer

from opspor.accounts.models import User
from opspor.accounts.tokens import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Opspor API",
    version="1",
    description="Decision support and collaboration for the early detection of cancer.",
    auth=BearerToken(),
    urls_namespace="api",
)


def _register_routers() -> None:
    from opspor.accounts.api import router as accounts_router
    from opspor.decision_api import router as decision_router
    from opspor.records.api import router as records_router
    from opspor.referrals.api import router as referrals_router

    api.add_router("/", accounts_router)
    api.add_router("/", records_router)
    api.add_router("/", decision_router)
    api.add_router("/", referrals_router)


_register_routers()
